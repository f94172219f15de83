"""Evaluates the ECR lifecycle policy (terraform/ecr-lifecycle-policy.json.tftpl, rendered with the default
retention from variables.tf) against histories of image pushes, as ECR would, and checks what it expires.

The semantics follow ECR's documented evaluation rules: rules run by ascending priority; a rule selects images by
tag status and tag prefixes/patterns (a tagged image matches when one of its tags matches every prefix given);
an image that matches the tagging requirements of a rule cannot be expired by a rule with a lower priority;
`imageCountMoreThan` expires the selected images beyond the newest N by push time; `sinceImagePushed` expires
selected images pushed more than N days ago. Re-tagging an image (promote-stable.sh's `stable`, pin-scale-out.sh's
`scale-out` and `scale-out-previous`) does not change its push time.
"""

import fnmatch
import json
import pathlib
import re
from dataclasses import dataclass, field

import checks
import hcl

root = pathlib.Path(__file__).resolve().parents[2]


@dataclass
class Image:
    digest: str
    pushed_day: float
    tags: set[str] = field(default_factory=set)


def rendered_policy() -> dict:
    variables = {name: body for block in hcl.load(root / "terraform/variables.tf")["variable"] for name, body in block.items()}
    retention = hcl.first(variables["image_retention_count"]["default"])
    text = (root / "terraform/ecr-lifecycle-policy.json.tftpl").read_text()
    text = re.sub(r"\$\{image_retention_count\}", str(retention), text)
    return json.loads(text)


def matches_tags(image: Image, selection: dict) -> bool:
    status = selection["tagStatus"]
    if status == "untagged":
        return not image.tags
    if status == "any":
        return True
    if not image.tags:
        return False
    prefixes = selection.get("tagPrefixList", [])
    patterns = selection.get("tagPatternList", [])
    return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in prefixes) and all(
        any(fnmatch.fnmatchcase(tag, pattern) for tag in image.tags) for pattern in patterns
    )


def expired(policy: dict, images: list[Image], today: float) -> set[str]:
    claimed: set[str] = set()
    gone: set[str] = set()
    for rule in sorted(policy["rules"], key=lambda rule: rule["rulePriority"]):
        selection = rule["selection"]
        selected = [image for image in images if image.digest not in claimed and matches_tags(image, selection)]
        claimed.update(image.digest for image in selected)
        if selection["countType"] == "imageCountMoreThan":
            newest_first = sorted(selected, key=lambda image: image.pushed_day, reverse=True)
            gone.update(image.digest for image in newest_first[selection["countNumber"] :])
        else:
            gone.update(image.digest for image in selected if today - image.pushed_day > selection["countNumber"])
    return gone


def deploy_history(deploys: int, healthy: set[int]) -> list[Image]:
    """One pushed image per deploy (tagged with its commit), `stable` moved to each healthy one."""
    images = [Image(f"sha256:{index:04d}", float(index), {f"{index:040x}"}) for index in range(1, deploys + 1)]
    for index in sorted(healthy):
        for image in images:
            image.tags.discard("stable")
        images[index - 1].tags.add("stable")
    return images


failures: list[str] = []


def expect(condition: bool, description: str) -> None:
    if not condition:
        failures.append(description)


policy = rendered_policy()
retention = next(rule for rule in policy["rules"] if rule["selection"]["tagStatus"] == "any")["selection"]["countNumber"]

# 1. The last healthy deploy is old: every later one failed and rolled back. stable must survive.
images = deploy_history(retention * 2, healthy={1, 2, 3, 4, 5})
gone = expired(policy, images, today=retention * 2 + 1)
stable = next(image for image in images if "stable" in image.tags)
expect(stable.digest not in gone, f"an old stable image (push {stable.pushed_day:.0f} of {len(images)}) is expired")
kept_releases = [image for image in images if image.digest not in gone and "stable" not in image.tags]
expect(len(kept_releases) == retention, f"expected the newest {retention} other releases kept, kept {len(kept_releases)}")
expect(
    all(image.pushed_day > retention for image in kept_releases),
    "an older release was kept while a newer one was expired",
)

# 2. Every deploy healthy: stable is the newest image; nothing among the newest releases is expired.
images = deploy_history(retention + 10, healthy=set(range(1, retention + 11)))
gone = expired(policy, images, today=retention + 11)
expect(not any("stable" in image.tags and image.digest in gone for image in images), "stable is expired when it is the newest image")
# stable (the newest) is kept by its own rule, the newest `retention` of the others too: 9 of the 40 go.
expect(len(gone) == 9, f"expected the 9 oldest releases expired, got {len(gone)}")

# 3. Untagged images (left behind by re-pushed tags) go after a day, not before.
images = [Image("sha256:old-untagged", 1.0), Image("sha256:new-untagged", 9.5), Image("sha256:stable", 0.0, {"stable"})]
gone = expired(policy, images, today=10.0)
expect(gone == {"sha256:old-untagged"}, f"untagged: expected only the day-old image expired, got {sorted(gone)}")

# 4. The scaled-out replicas run an old release (scripts/deploy/pin-scale-out.sh tagged it `scale-out`, and the one
# they ran before `scale-out-previous`) while many later deploys pushed and moved `stable` without an apply: every
# launch pulls that digest, so neither may expire, however old; the newest `retention` other releases are kept too.
pin_tags = ("scale-out", "scale-out-previous")  # what pin-scale-out.sh tags
pin_script = (root / "scripts/deploy/pin-scale-out.sh").read_text()
expect(all(f"tag {tag} " in pin_script for tag in pin_tags), f"pin-scale-out.sh no longer tags {' and '.join(pin_tags)}: check this history against what it tags")
images = deploy_history(retention * 3, healthy=set(range(1, retention * 3 + 1)))
images[1].tags.add("scale-out-previous")
images[2].tags.add("scale-out")
gone = expired(policy, images, today=retention * 3 + 1)
for tag in pin_tags:
    pinned = next(image for image in images if tag in image.tags)
    expect(pinned.digest not in gone, f"the image tagged {tag} (push {pinned.pushed_day:.0f} of {len(images)}), which replicas run, is expired")
kept_releases = [image for image in images if image.digest not in gone and not image.tags & {"stable", *pin_tags}]
expect(len(kept_releases) == retention, f"with pinned replicas: expected the newest {retention} other releases kept, kept {len(kept_releases)}")
# The replicas pinned to the newest release, also `stable`: one image carries both, and nothing else changes.
images = deploy_history(retention + 10, healthy=set(range(1, retention + 11)))
images[-1].tags.add("scale-out")
images[-2].tags.add("scale-out-previous")
gone = expired(policy, images, today=retention + 11)
expect(not any(image.digest in gone for image in images[-2:]), "scale-out or scale-out-previous expired when they are the newest images")

# The evaluator must be able to see the failure this policy prevents: "keep the newest N of any tag" alone
# expires an old stable image.
naive = {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": retention}, "action": {"type": "expire"}}]}
images = deploy_history(retention * 2, healthy={1, 2, 3, 4, 5})
expect(
    any("stable" in image.tags for image in images if image.digest in expired(naive, images, today=retention * 2 + 1)),
    "self-test: the evaluator does not notice that 'keep newest N of any tag' expires an old stable",
)

checks.fail_if_any(failures, "ECR lifecycle policy")
print(f"ECR lifecycle policy: stable, scale-out and scale-out-previous kept however old, newest {retention} other releases kept, untagged gone after a day")
