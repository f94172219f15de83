locals {
  zones = var.availability_zones
}

# The load balancer and the NAT gateways: a load balancer needs subnets in two zones.
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

# The instances, the database and the cache: no public addresses; out through their zone's NAT gateway only.
resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = var.vpc_id
  cidr_block        = var.subnet_cidrs.private[count.index]
  availability_zone = local.zones[count.index]

  tags = { Name = "${var.project}-scale-private-${local.zones[count.index]}" }
}

# One NAT gateway per zone, each zone's private subnet routing through its own: a zone's outage then leaves the
# other zone's replicas able to reach ECR, SSM and the package mirrors, and so to boot. nat_gateway_per_zone = false
# shares the first zone's.
locals {
  nat_gateways = var.nat_gateway_per_zone ? 2 : 1
}

resource "aws_eip" "nat" {
  count  = local.nat_gateways
  domain = "vpc"

  tags = { Name = "${var.project}-scale-nat-${local.zones[count.index]}" }
}

resource "aws_nat_gateway" "main" {
  count         = local.nat_gateways
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = { Name = "${var.project}-scale-${local.zones[count.index]}" }
}

resource "aws_route_table" "private" {
  count  = 2
  vpc_id = var.vpc_id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.main[min(count.index, local.nat_gateways - 1)].id
  }

  tags = { Name = "${var.project}-scale-private-${local.zones[count.index]}" }
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# What the single NAT gateway was: the first zone's.
moved {
  from = aws_eip.nat
  to   = aws_eip.nat[0]
}

moved {
  from = aws_nat_gateway.main
  to   = aws_nat_gateway.main[0]
}

moved {
  from = aws_route_table.private
  to   = aws_route_table.private[0]
}
