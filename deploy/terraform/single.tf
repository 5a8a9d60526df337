# The single variant: one henged with its SQLite database on a persistent volume. An
# update replaces the pod on the same volume; devices resume with Last-Event-ID.
resource "kubernetes_stateful_set_v1" "henged" {
  count = var.variant == "single" ? 1 : 0
  metadata {
    name      = "henged"
    namespace = local.namespace
    labels    = local.labels
  }
  spec {
    service_name = kubernetes_service_v1.henged.metadata[0].name
    replicas     = 1
    selector {
      match_labels = local.selector
    }
    update_strategy {
      type = "RollingUpdate"
    }
    persistent_volume_claim_retention_policy {
      when_deleted = "Retain"
      when_scaled  = "Retain"
    }
    template {
      metadata {
        labels = local.labels
        # A changed setting or token restarts the pod.
        annotations = {
          "henge/settings" = sha256(jsonencode([local.settings, local.admin_token]))
        }
      }
      spec {
        termination_grace_period_seconds = local.grace_seconds
        automount_service_account_token  = false
        enable_service_links             = false
        security_context {
          run_as_non_root        = true
          run_as_user            = local.uid
          run_as_group           = local.uid
          fs_group               = local.uid
          fs_group_change_policy = "OnRootMismatch"
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        container {
          name              = "henged"
          image             = var.image
          image_pull_policy = "IfNotPresent"
          env_from {
            config_map_ref {
              name = kubernetes_config_map_v1.settings.metadata[0].name
            }
          }
          env {
            name  = "HENGE_DATA_DIR"
            value = local.data_dir
          }
          env {
            name = "HENGE_ADMIN_TOKEN"
            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.admin.metadata[0].name
                key  = "token"
              }
            }
          }
          port {
            name           = "http"
            container_port = 8080
          }
          startup_probe {
            http_get {
              path = "/healthz"
              port = "http"
            }
            period_seconds    = 2
            failure_threshold = 60
          }
          liveness_probe {
            http_get {
              path = "/healthz"
              port = "http"
            }
            period_seconds    = 10
            timeout_seconds   = 3
            failure_threshold = 3
          }
          readiness_probe {
            http_get {
              path = "/readyz"
              port = "http"
            }
            period_seconds    = 2
            timeout_seconds   = 2
            failure_threshold = 2
          }
          resources {
            requests = var.resources.requests
            limits   = var.resources.limits
          }
          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }
          volume_mount {
            name       = "data"
            mount_path = local.data_dir
          }
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "64Mi"
          }
        }
      }
    }
    volume_claim_template {
      metadata {
        name = "data"
      }
      spec {
        access_modes       = ["ReadWriteOnce"]
        storage_class_name = var.storage_class
        resources {
          requests = {
            storage = var.storage_size
          }
        }
      }
    }
  }
}
