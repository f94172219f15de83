data "aws_ami" "ubuntu" {
  most_recent = true
  owners      = ["099720109477"] # Canonical

  filter {
    name   = "name"
    values = ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]
  }
}

resource "aws_instance" "api" {
  ami                    = data.aws_ami.ubuntu.id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.api.id]
  iam_instance_profile   = aws_iam_instance_profile.api.name
  monitoring             = true
  ebs_optimized          = true
  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    deploy_dir    = "/opt/bookcat"
    data_dir      = "/var/lib/bookcat"
    api_port      = var.api_port
    registry      = split("/", aws_ecr_repository.api.repository_url)[0]
    volume_id     = aws_ebs_volume.data.id
    volume_serial = replace(aws_ebs_volume.data.id, "-", "")
  })
  # A changed first-boot script does not touch a running server: not replaced (false here), and not updated in place
  # either, which the provider would do by stopping and starting it (user_data in ignore_changes below). `terraform
  # apply -replace=aws_instance.api` rolls it out, when you choose to (the catalog is on its own volume and survives it).
  user_data_replace_on_change = false

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1          # the host alone: its pulls and settings; containers get no AWS credentials
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gib
    encrypted             = true
    delete_on_termination = true # only the system and images: the catalog is on aws_ebs_volume.data
  }

  tags = { Name = var.project }

  lifecycle {
    # A newer Ubuntu image, or a changed first-boot script, reaches the server only when you replace it.
    ignore_changes = [ami, user_data]
  }
}

resource "aws_eip" "api" {
  domain   = "vpc"
  instance = aws_instance.api.id

  tags = { Name = var.project }

  depends_on = [aws_internet_gateway.main]
}

# The catalog's own volume, in the instance's zone. It outlives any instance: a replacement is attached to it and
# user_data mounts the filesystem the previous one wrote. Daily snapshots by backup.tf.
resource "aws_ebs_volume" "data" {
  #checkov:skip=CKV_AWS_189:Encrypted with the account's AWS-managed EBS key, as the root volume is; a customer key would add a key policy to run for one volume and its snapshots.
  availability_zone = aws_subnet.public.availability_zone
  size              = var.data_volume_gib
  type              = "gp3"
  encrypted         = true

  tags = {
    Name     = "${var.project}-data"
    Snapshot = "${var.project}-data"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.api.id
  # Stop the old instance before detaching, so SQLite's last writes reach the disk.
  stop_instance_before_detaching = true
}
