# Every subnet is carved from vpc_cidr, so another range moves them all: /24s in a /16 (10.20.1.0/24 and so on by
# default), never smaller than a /27, which a load balancer's subnets need. The numbers are the subnets' places in
# the range; the scale-out ones go to modules/scale_out.
locals {
  subnet_newbits = min(8, 27 - tonumber(split("/", var.vpc_cidr)[1]))
  subnet_cidrs = {
    public = cidrsubnet(var.vpc_cidr, local.subnet_newbits, 1)
    scale_out = {
      public  = [for netnum in [10, 11] : cidrsubnet(var.vpc_cidr, local.subnet_newbits, netnum)]
      private = [for netnum in [20, 21] : cidrsubnet(var.vpc_cidr, local.subnet_newbits, netnum)]
    }
  }
}

resource "aws_vpc" "main" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = var.project }
}

# The default security group of the VPC denies everything; resources use their own groups.
resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.main.id
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id

  tags = { Name = var.project }
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = local.subnet_cidrs.public
  availability_zone = "${var.region}${var.availability_zone_suffix}"
  # The instance gets its address from the Elastic IP, not at launch.
  map_public_ip_on_launch = false

  tags = { Name = "${var.project}-public" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }

  tags = { Name = "${var.project}-public" }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/${var.project}/vpc-flow-logs"
  retention_in_days = 365
  #checkov:skip=CKV_AWS_158:Flow logs hold no secrets; the AWS-managed encryption of CloudWatch Logs is enough here.
}

resource "aws_iam_role" "flow_logs" {
  name = "${var.project}-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "write-flow-logs"
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = "${aws_cloudwatch_log_group.flow_logs.arn}:*"
    }]
  })
}

resource "aws_flow_log" "main" {
  vpc_id          = aws_vpc.main.id
  traffic_type    = "ALL"
  iam_role_arn    = aws_iam_role.flow_logs.arn
  log_destination = aws_cloudwatch_log_group.flow_logs.arn
}
