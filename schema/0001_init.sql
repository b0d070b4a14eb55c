-- SPDX-License-Identifier: Apache-2.0
-- cohd state, version 1. Applied by lib/store/migrate.c inside one transaction, which then sets
-- PRAGMA user_version = 1. Migrations are append-only: never edit a released file, add 0002_*.
--
-- Times are UTC ISO 8601 text ("2026-11-26T12:00:00.123456Z"); JSON columns hold documents in
-- AWS's own field names. No column ever holds a secret value: secrets are stored as references
-- (ARN and version id) only, and journal requests are stored redacted by the caller.

-- One environment of one app: one app file in the watch directory.
CREATE TABLE app_env (
	id            INTEGER PRIMARY KEY,
	app           TEXT NOT NULL,
	environment   TEXT NOT NULL,
	env_type      TEXT NOT NULL CHECK (env_type IN ('production', 'static', 'preview')),
	source_path   TEXT NOT NULL,
	source_sha256 TEXT NOT NULL,            -- of the file bytes last accepted
	document      TEXT NOT NULL,            -- the validated, normalised app (JSON)
	generation    INTEGER NOT NULL DEFAULT 1, -- +1 each time an accepted file differs
	state         TEXT NOT NULL DEFAULT 'active'
	              CHECK (state IN ('active', 'deleting', 'deleted')),
	sync          TEXT NOT NULL DEFAULT 'progressing'
	              CHECK (sync IN ('synced', 'drifted', 'progressing', 'quarantined', 'error', 'deleting')),
	health        TEXT NOT NULL DEFAULT 'unknown'
	              CHECK (health IN ('healthy', 'progressing', 'degraded', 'unknown')),
	last_error    TEXT,                     -- "file:line:column: message" or an AWS error
	delete_confirmed_at TEXT,               -- set by `cohd-status delete APP.ENV --confirm`
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	UNIQUE (app, environment)
);

-- The desired resource graph of each generation (model/ output).
CREATE TABLE desired_resource (
	app_env_id    INTEGER NOT NULL REFERENCES app_env(id) ON DELETE CASCADE,
	generation    INTEGER NOT NULL,
	logical_id    TEXT NOT NULL,
	type          TEXT NOT NULL,
	physical_name TEXT NOT NULL,
	properties    TEXT NOT NULL,            -- JSON object
	depends_on    TEXT NOT NULL DEFAULT '[]', -- JSON array of logical ids
	PRIMARY KEY (app_env_id, generation, logical_id)
) WITHOUT ROWID;

-- What was last seen in AWS for each managed resource, and its per-resource status.
CREATE TABLE observed_resource (
	app_env_id    INTEGER NOT NULL REFERENCES app_env(id) ON DELETE CASCADE,
	logical_id    TEXT NOT NULL,
	type          TEXT NOT NULL,
	aws_id        TEXT,                     -- id or ARN once known
	properties    TEXT,                     -- JSON object; NULL = missing in AWS
	sync          TEXT NOT NULL DEFAULT 'progressing'
	              CHECK (sync IN ('synced', 'drifted', 'progressing', 'quarantined', 'error', 'deleting')),
	health        TEXT NOT NULL DEFAULT 'unknown'
	              CHECK (health IN ('healthy', 'progressing', 'degraded', 'unknown')),
	corrections   INTEGER NOT NULL DEFAULT 0, -- identical corrections that did not converge
	correction_digest TEXT,                 -- sha256 of the last correction, to tell "identical"
	deletion_protected INTEGER NOT NULL DEFAULT 0, -- held here so it cannot vanish with the file
	observed_at   TEXT NOT NULL,
	PRIMARY KEY (app_env_id, logical_id)
) WITHOUT ROWID;

-- Per-field differences: drift, or drift a rule accepted (the value is still shown).
CREATE TABLE drift (
	app_env_id    INTEGER NOT NULL REFERENCES app_env(id) ON DELETE CASCADE,
	logical_id    TEXT NOT NULL,
	field         TEXT NOT NULL,            -- JSON path in AWS field names
	status        TEXT NOT NULL CHECK (status IN ('drift', 'accepted')),
	desired       TEXT,                     -- JSON value
	observed      TEXT,                     -- JSON value
	rule          TEXT,                     -- the accept-drift rule, for 'accepted'
	first_seen    TEXT NOT NULL,
	last_seen     TEXT NOT NULL,
	PRIMARY KEY (app_env_id, logical_id, field)
) WITHOUT ROWID;

-- One reconcile pass over one app environment.
CREATE TABLE pass (
	id            INTEGER PRIMARY KEY,
	app_env_id    INTEGER NOT NULL REFERENCES app_env(id) ON DELETE CASCADE,
	generation    INTEGER NOT NULL,
	trigger       TEXT NOT NULL,            -- file, sweep, request, wait
	dry_run       INTEGER NOT NULL DEFAULT 0,
	started_at    TEXT NOT NULL,
	finished_at   TEXT,
	outcome       TEXT CHECK (outcome IN ('converged', 'progressing', 'failed', 'cancelled')),
	api_calls     INTEGER NOT NULL DEFAULT 0,
	mutating_calls INTEGER NOT NULL DEFAULT 0
);

-- Planned and executed actions and their outcomes.
CREATE TABLE action (
	id            INTEGER PRIMARY KEY,
	pass_id       INTEGER NOT NULL REFERENCES pass(id) ON DELETE CASCADE,
	logical_id    TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('create', 'update', 'replace', 'delete', 'tag')),
	-- the engine's action states (lib/reconcile/plan.h)
	status        TEXT NOT NULL DEFAULT 'pending'
	              CHECK (status IN ('pending', 'running', 'waiting', 'done', 'failed', 'blocked',
	                                'skipped', 'timeout')),
	detail        TEXT,                     -- JSON: fields changed, wait target
	error         TEXT,                     -- AWS code, message and request id
	started_at    TEXT,
	finished_at   TEXT
);

-- Every mutating AWS call: written as an intent before the call, completed with its outcome.
-- A crash leaves 'intent' rows; recovery re-sends them with the same idempotency token or looks
-- the resource up by its tags before creating again.
CREATE TABLE journal (
	id            INTEGER PRIMARY KEY,
	app_env_id    INTEGER REFERENCES app_env(id) ON DELETE SET NULL,
	logical_id    TEXT NOT NULL,
	service       TEXT NOT NULL,
	operation     TEXT NOT NULL,
	idempotency_token TEXT,                 -- resent unchanged on every retry
	request       TEXT NOT NULL,            -- JSON, redacted by the caller
	state         TEXT NOT NULL DEFAULT 'intent'
	              CHECK (state IN ('intent', 'succeeded', 'failed')),
	aws_request_id TEXT,
	error_code    TEXT,
	result        TEXT,                     -- JSON: ids the call returned
	created_at    TEXT NOT NULL,
	completed_at  TEXT
);
CREATE INDEX journal_open ON journal(state) WHERE state = 'intent';

-- Events for `cohd-status events`.
CREATE TABLE event (
	id            INTEGER PRIMARY KEY,
	time          TEXT NOT NULL,
	app_env_id    INTEGER REFERENCES app_env(id) ON DELETE SET NULL,
	logical_id    TEXT,
	level         TEXT NOT NULL CHECK (level IN ('err', 'warning', 'notice', 'info', 'debug')),
	kind          TEXT NOT NULL,            -- file-rejected, created, drift-corrected, ...
	message       TEXT NOT NULL
);
CREATE INDEX event_app_env ON event(app_env_id, id);
