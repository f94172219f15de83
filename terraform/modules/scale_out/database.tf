# The shared store: RDS PostgreSQL in both zones (a standby takes over on failure), encrypted, backed up daily, never
# reachable from outside the VPC. `bookcat serve` migrates it on start; replicas starting together migrate once.

resource "aws_db_subnet_group" "main" {
  name       = "${var.project}-scale"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "main" {
  name   = "${var.project}-scale-postgres16"
  family = "postgres16"

  # Only encrypted connections (the instances use sslmode=require).
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Statements that change the schema, and slow ones, reach the logs exported to CloudWatch.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
}

resource "aws_db_instance" "main" {
  identifier     = "${var.project}-scale"
  engine         = "postgres"
  engine_version = "16"
  instance_class = var.database.instance_class
  db_name        = "bookcat"
  username       = "bookcat"
  # Write-only, the same password as DATABASE_URL's (secrets.tf): never in the state.
  password_wo         = var.secrets.database_password
  password_wo_version = local.secrets_version

  allocated_storage     = var.database.storage_gib
  max_allocated_storage = var.database.storage_gib * 4
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.secrets.arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.database.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.main.name

  backup_retention_period    = var.database.backup_days
  copy_tags_to_snapshot      = true
  deletion_protection        = true
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${var.project}-scale-final"
  auto_minor_version_upgrade = true

  iam_database_authentication_enabled   = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  monitoring_interval                   = 30
  monitoring_role_arn                   = aws_iam_role.database_monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.secrets.arn
  performance_insights_retention_period = 7
}

resource "aws_iam_role" "database_monitoring" {
  name = "${var.project}-scale-rds-monitoring"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "database_monitoring" {
  role       = aws_iam_role.database_monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
