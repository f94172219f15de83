"""No security group is managed two ways: a group with inline `ingress`/`egress` blocks may not also be the target of
separate rule resources. The AWS provider cannot reconcile the two (each apply removes what the other added), which
once had every second apply drop the scale-out replicas' database and Redis egress.
"""

import pathlib
import re

import checks
import hcl

root = pathlib.Path(__file__).resolve().parents[2]
RULE_TYPES = ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")

failures = []
checked = 0
for folder in sorted({path.parent for path in (root / "terraform").rglob("*.tf")}):
    inline, targeted = {}, {}
    for path in sorted(folder.glob("*.tf")):
        for block in hcl.load(path).get("resource", []):
            for kind, instances in block.items():
                for name, body in instances.items():
                    if kind == "aws_security_group":
                        checked += 1
                        blocks = [key for key in ("ingress", "egress") if body.get(key)]
                        if blocks:
                            inline[name] = blocks
                    elif kind in RULE_TYPES:
                        target = re.search(r"aws_security_group\.(\w+)\.id", str(hcl.first(body.get("security_group_id", ""))))
                        if target:
                            targeted.setdefault(target.group(1), []).append(f"{kind}.{name}")
    for group in sorted(inline.keys() & targeted.keys()):
        where = folder.relative_to(root)
        failures.append(f"{where}: aws_security_group.{group} has inline {' and '.join(inline[group])} and separate rules "
                        f"{', '.join(targeted[group])}: keep one kind")
checks.fail_if_any(failures, "security groups managed two ways (the provider drops one kind on every other apply)")
print(f"security groups: {checked} checked, none has both inline rules and separate rule resources")
