# The inputs every test file of the root module plans with: `terraform test` reads this file from its tests folder, and
# a test file's or a run's `variables` block overrides a value. The scale_out module's tests (scale_out.tftest.hcl) set
# its own inputs; these, which it does not declare, are not passed to it.
github_repository     = "example-org/bookcat"
github_repository_ids = { owner = 1234, repository = 5678 }
api_allowed_cidr      = "203.0.113.0/24"
