resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # Removing the database from Terraform must never drop every tenant's data.
  deletion_policy = "ABANDON"

  depends_on = [google_project_service.required]
}

# The composite indexes and field overrides (single-field index exemptions and TTL
# policies) come from firestore.indexes.json at the repository root, the same file the
# Firestore emulator and the Firebase CLI read, so the deployed indexes cannot drift
# from the ones the code was written against.
locals {
  firestore_indexes_file = "${path.module}/../../firestore.indexes.json"
  firestore_indexes      = jsondecode(file(local.firestore_indexes_file))

  composite_indexes = {
    for index in try(local.firestore_indexes.indexes, []) :
    join("|", [
      index.collectionGroup,
      try(index.queryScope, "COLLECTION"),
      join(",", [for f in index.fields : "${f.fieldPath}:${try(f.order, "array-${f.arrayConfig}")}"]),
    ]) => index
  }

  field_overrides = {
    for override in try(local.firestore_indexes.fieldOverrides, []) :
    "${override.collectionGroup}.${override.fieldPath}" => override
  }
}

resource "google_firestore_index" "composite" {
  for_each = local.composite_indexes

  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

resource "google_firestore_field" "override" {
  for_each = local.field_overrides

  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  # "ttl": true in firestore.indexes.json: Firestore deletes documents once this
  # timestamp field is in the past (expired idempotency keys, logs, run tokens…).
  dynamic "ttl_config" {
    for_each = try(each.value.ttl, false) ? [true] : []
    content {}
  }

  # An explicit "indexes" list replaces the automatic single-field indexes (an empty list
  # disables them: large or monotonically increasing fields that are never queried).
  dynamic "index_config" {
    for_each = can(each.value.indexes) ? [each.value.indexes] : []
    content {
      dynamic "indexes" {
        for_each = index_config.value
        content {
          query_scope  = try(indexes.value.queryScope, "COLLECTION")
          order        = try(indexes.value.order, null)
          array_config = try(indexes.value.arrayConfig, null)
        }
      }
    }
  }
}
