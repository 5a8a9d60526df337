# The ha variant: replicas of henged over PostgreSQL, replaced one pod at a time with
# none unavailable; a terminating pod leaves the endpoints during its preStop delay, then
# SIGTERM sends goaway to its device streams and they reconnect to the others.
resource "kubernetes_deployment_v1" "henged" {
  count = var.variant == "ha" ? 1 : 0
  metadata {
    name      = "henged"
    namespace = local.namespace
    labels    = local.labels
  }
  lifecycle {
    precondition {
      condition     = var.database_url_secret != null
      error_message = "The ha variant needs database_url_secret: the Secret and key holding PostgreSQL's URL."
    }
  }
  spec {
    replicas                  = var.replicas
    revision_history_limit    = 5
    min_ready_seconds         = 5
    progress_deadline_seconds = 600
    strategy {
      type = "RollingUpdate"
      rolling_update {
        max_unavailable = "0"
        max_surge       = "1"
      }
    }
    selector {
      match_labels = local.selector
    }
    template {
      metadata {
        labels = local.labels
        annotations = {
          "henge/settings" = sha256(jsonencode([local.settings, local.admin_token]))
        }
      }
      spec {
        termination_grace_period_seconds = local.grace_seconds
        automount_service_account_token  = false
        enable_service_links             = false
        security_context {
          run_as_non_root = true
          run_as_user     = local.uid
          run_as_group    = local.uid
          fs_group        = local.uid
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        # One replica per node where there are the nodes; preferred, so the surge pod of
        # a rolling update still schedules on a small cluster.
        affinity {
          pod_anti_affinity {
            preferred_during_scheduling_ignored_during_execution {
              weight = 100
              pod_affinity_term {
                topology_key = "kubernetes.io/hostname"
                label_selector {
                  match_labels = local.selector
                }
              }
            }
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
            name = "HENGE_REPLICA_ID"
            value_from {
              field_ref {
                field_path = "metadata.name"
              }
            }
          }
          env {
            name = "HENGE_DATABASE_URL"
            value_from {
              secret_key_ref {
                name = var.database_url_secret.name
                key  = var.database_url_secret.key
              }
            }
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
          lifecycle {
            pre_stop {
              exec {
                command = ["/bin/sleep", tostring(var.pre_stop_seconds)]
              }
            }
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
          name = "data"
          empty_dir {}
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "64Mi"
          }
        }
      }
    }
  }
}

resource "kubernetes_pod_disruption_budget_v1" "henged" {
  count = var.variant == "ha" ? 1 : 0
  metadata {
    name      = "henged"
    namespace = local.namespace
    labels    = local.labels
  }
  spec {
    max_unavailable = "1"
    selector {
      match_labels = local.selector
    }
  }
}
