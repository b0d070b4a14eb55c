-- SPDX-License-Identifier: Apache-2.0
-- cohd state, version 2: what the reconcile engine needs kept across restarts.
--   - the quarantine flag next to the correction counters of each resource (a quarantine must
--     survive a restart, DESIGN.md §5);
--   - the engine's own action numbers, so an action's outcome updates the row its plan made;
--   - the last pass's status document per app environment, for cohd-status after a restart;
--   - the deletion kind of each desired resource, so that a resource removed from the file while
--     cohd was down keeps its deletion protection (DESIGN.md §6).
ALTER TABLE observed_resource ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
ALTER TABLE action ADD COLUMN seq INTEGER;
CREATE UNIQUE INDEX action_pass_seq ON action(pass_id, seq);
ALTER TABLE app_env ADD COLUMN status TEXT; -- JSON: the engine's status of the last pass
ALTER TABLE desired_resource ADD COLUMN deletion TEXT NOT NULL DEFAULT 'default'
	CHECK (deletion IN ('default', 'confirm'));
