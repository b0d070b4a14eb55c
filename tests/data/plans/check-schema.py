#!/usr/bin/env python3
# Validate every golden plan (tests/data/plans/*.plan.json) against schema/plan.schema.json.
# Exit 77 (skipped) when python3-jsonschema is not installed.
import glob
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema not installed, skipping")
    sys.exit(77)

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
schema = json.load(open(os.path.join(root, "schema", "plan.schema.json")))
validator = jsonschema.Draft202012Validator(schema)
failed = 0
plans = sorted(glob.glob(os.path.join(root, "tests", "data", "plans", "*.plan.json")))
for path in plans:
    for err in validator.iter_errors(json.load(open(path))):
        print(f"{path}: {'/'.join(map(str, err.absolute_path))}: {err.message}")
        failed += 1
print(f"{len(plans)} plans, {failed} schema errors")
sys.exit(1 if failed or not plans else 0)
