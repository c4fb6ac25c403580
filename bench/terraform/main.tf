# The guide's job for N applications, as a Terraform user writes it (hashicorp/aws 5.100.0).
# Application 1 has the guide's names; application i > 1 the same names with "-<i>".
# Equal work with the other two sides: role + AmazonSSMManagedInstanceCore, instance profile of
# the same name, the deployer qa-deployer's inline PassRole policy, launch template with the
# profile and IMDSv2 (default version), group on $Default; no waiting for capacity, no refresh.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  description = "The emulator (the benchmark's recording proxy)."
  type        = string
}

variable "applications" {
  description = "How many applications (N)."
  type        = number
  default     = 1
}

variable "instance_type" {
  type    = string
  default = "t2.micro"
}

provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    autoscaling = var.endpoint
    ec2         = var.endpoint
    iam         = var.endpoint
    sts         = var.endpoint
  }
}

locals {
  applications = {
    for i in range(1, var.applications + 1) : tostring(i) => {
      role            = i == 1 ? "qateam-app" : "qateam-app-${i}"
      launch_template = i == 1 ? "my-lt-with-instance-profile" : "my-lt-with-instance-profile-${i}"
      group           = i == 1 ? "qateam-app-asg" : "qateam-app-${i}-asg"
    }
  }
}

resource "aws_iam_role" "app" {
  for_each = local.applications
  name     = each.value.role
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "ssm" {
  for_each   = local.applications
  role       = aws_iam_role.app[each.key].name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "app" {
  for_each = local.applications
  name     = each.value.role
  role     = aws_iam_role.app[each.key].name
}

resource "aws_iam_user_policy" "passrole" {
  for_each = local.applications
  user     = "qa-deployer"
  name     = "${each.value.role}-passrole"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "iam:PassRole"
      Resource = "arn:aws:iam::${split(":", aws_iam_role.app[each.key].arn)[4]}:role/qateam-*"
      Condition = {
        StringEquals = { "iam:PassedToService" = ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] }
      }
    }]
  })
}

resource "aws_launch_template" "app" {
  for_each               = local.applications
  name                   = each.value.launch_template
  image_id               = "ami-04d5cc9b88example"
  instance_type          = var.instance_type
  update_default_version = true
  iam_instance_profile {
    name = aws_iam_instance_profile.app[each.key].name
  }
  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_autoscaling_group" "app" {
  for_each                  = local.applications
  name                      = each.value.group
  min_size                  = 1
  max_size                  = 2
  desired_capacity          = 1
  availability_zones        = ["us-east-1a"]
  wait_for_capacity_timeout = "0"
  launch_template {
    id      = aws_launch_template.app[each.key].id
    version = "$Default"
  }
}
