locals {
  zones = var.availability_zones
}

# The load balancer and the NAT gateway: a load balancer needs subnets in two zones.
resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = var.vpc_id
  cidr_block              = var.subnet_cidrs.public[count.index]
  availability_zone       = local.zones[count.index]
  map_public_ip_on_launch = false

  tags = { Name = "${var.project}-scale-public-${local.zones[count.index]}" }
}

resource "aws_route_table" "public" {
  vpc_id = var.vpc_id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = var.internet_gateway_id
  }

  tags = { Name = "${var.project}-scale-public" }
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# The instances, the database and the cache: no public addresses; out through the NAT gateway only.
resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = var.vpc_id
  cidr_block        = var.subnet_cidrs.private[count.index]
  availability_zone = local.zones[count.index]

  tags = { Name = "${var.project}-scale-private-${local.zones[count.index]}" }
}

resource "aws_eip" "nat" {
  domain = "vpc"

  tags = { Name = "${var.project}-scale-nat" }
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id

  tags = { Name = "${var.project}-scale" }
}

resource "aws_route_table" "private" {
  vpc_id = var.vpc_id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.main.id
  }

  tags = { Name = "${var.project}-scale-private" }
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}
