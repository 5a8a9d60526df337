variable "variant" {
  description = "\"single\": one henged with SQLite on a persistent volume (a StatefulSet). \"ha\": replicas over PostgreSQL (a Deployment, rolled one pod at a time)."
  type        = string
  default     = "single"
  validation {
    condition     = contains(["single", "ha"], var.variant)
    error_message = "variant must be \"single\" or \"ha\"."
  }
}

variable "namespace" {
  description = "Namespace to deploy into."
  type        = string
  default     = "henge"
}

variable "create_namespace" {
  description = "Create the namespace (false: it exists already)."
  type        = bool
  default     = true
}

variable "image" {
  description = "henged's container image (built from deploy/docker/Dockerfile), with its tag."
  type        = string
  default     = "henged:0.1.0"
}

variable "replicas" {
  description = "Replicas of henged for the ha variant (the single variant always runs one)."
  type        = number
  default     = 3
  validation {
    condition     = var.replicas >= 2 && floor(var.replicas) == var.replicas
    error_message = "replicas must be a whole number, 2 or more (the single variant runs one)."
  }
}

variable "storage_size" {
  description = "Size of the single variant's volume for SQLite, e.g. \"1Gi\"."
  type        = string
  default     = "1Gi"
}

variable "storage_class" {
  description = "Storage class of the single variant's volume (null: the cluster's default)."
  type        = string
  default     = null
}

variable "database_url_secret" {
  description = "For the ha variant: the existing Secret (in the namespace) and key holding PostgreSQL's URL, postgres://user:password@host:port/database."
  type = object({
    name = string
    key  = string
  })
  default = null
}

variable "admin_token" {
  description = "The admin token (16 characters at least). Null: a random one is generated; read it from the admin_token output."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.admin_token == null || length(coalesce(var.admin_token, "x")) >= 16
    error_message = "admin_token must be 16 characters at least."
  }
}

variable "resources" {
  description = "CPU and memory requests and limits of each henged container."
  type = object({
    requests = object({ cpu = string, memory = string })
    limits   = object({ cpu = string, memory = string })
  })
  default = {
    requests = { cpu = "100m", memory = "128Mi" }
    limits   = { cpu = "1", memory = "512Mi" }
  }
}

variable "drain_seconds" {
  description = "Seconds over which SIGTERM sends goaway to the device streams (HENGE_DRAIN); the grace period is set above it."
  type        = number
  default     = 10
}

variable "keepalive_seconds" {
  description = "Seconds of silence after which a device stream gets a keepalive (HENGE_KEEPALIVE)."
  type        = number
  default     = 15
}

variable "pre_stop_seconds" {
  description = "For the ha variant: how long a terminating pod keeps serving while endpoints and load balancers drop it."
  type        = number
  default     = 5
}

variable "log_level" {
  description = "henged's least severe level logged: debug, info, warn or error."
  type        = string
  default     = "info"
}

variable "ingress_host" {
  description = "Host name to serve henged on through an Ingress with TLS (null: no Ingress)."
  type        = string
  default     = null
}

variable "ingress_class_name" {
  description = "Ingress class, e.g. \"nginx\" (ingress-nginx) or \"traefik\" (k3s)."
  type        = string
  default     = "nginx"
}

variable "ingress_tls_secret" {
  description = "Secret holding the Ingress's TLS certificate (cert-manager can fill it)."
  type        = string
  default     = "henge-tls"
}

variable "ingress_annotations" {
  description = "Annotations added to the Ingress's own (which turn off response buffering and lengthen timeouts for ingress-nginx), e.g. a cert-manager issuer."
  type        = map(string)
  default     = {}
}
