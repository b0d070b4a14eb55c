/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Normalisation of app file values into what AWS takes (coherence-resources.md §1.5), where cnc
 * silently guessed: Fargate CPU/memory pairs, 5-field cron -> EventBridge cron(), name slugs,
 * database/cache engines and versions. Pure functions; each returns 0 or -EINVAL with a
 * human-readable reason (static string or written into `why`) so the caller can locate it.
 * Depends only on lib/util.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/macro.h"

#define COHD_FARGATE_CPU_DEFAULT 1024u /* 1 vCPU */
#define COHD_FARGATE_MEM_DEFAULT 2048u /* MiB */

/* Reasons and notes are written into a caller buffer of this size. */
#define COHD_NORM_WHY_MAX 256

/* CPU as written ("1", "0.25", 2, "1 vCPU", "512m" millicores, or CPU units 256..16384) ->
 * Fargate CPU units. Values between Fargate sizes are rounded up to the next size and
 * *ret_rounded set (the caller warns). Returns -EINVAL with why for <= 0, > 16 vCPU, junk. */
int cohd_norm_cpu(const char *s, unsigned *ret_units, bool *ret_rounded,
		  char why[static COHD_NORM_WHY_MAX]);

/* Memory as written -> MiB. Units (case-insensitive): M, MB, Mi, MiB (MiB); G, GB, Gi, GiB
 * (GiB, fractions allowed: "1.5G"); K/KB/Ki/KiB; no unit: < 128 means GiB ("2" = 2 GiB),
 * >= 128 MiB up to 122880, and larger values are bytes (compose's convention) when a whole
 * number of MiB. Returns -EINVAL with why otherwise. Does not fit to Fargate (see below). */
int cohd_norm_memory(const char *s, unsigned *ret_mib, char why[static COHD_NORM_WHY_MAX]);

/* Make (cpu, memory) a valid Fargate pair. cpu/memory 0 = not given (defaults 1024/2048, the
 * memory default being raised to the CPU's minimum). Memory below the CPU's minimum is raised
 * to it; memory above the CPU's maximum raises the CPU to the smallest size that allows it
 * (only when the CPU was not given, else -EINVAL); memory is rounded up to the CPU's step.
 * Returns 0 with a note in `why` when something was changed ("" otherwise), or -EINVAL. */
int cohd_norm_fargate(unsigned cpu, unsigned memory, unsigned *ret_cpu, unsigned *ret_memory,
		      char why[static COHD_NORM_WHY_MAX]);

/* Is (cpu, memory) exactly a Fargate pair? */
bool cohd_fargate_valid(unsigned cpu, unsigned memory);

/* A 5-field cron (minute hour day-of-month month day-of-week, UTC; names JAN..DEC, SUN..SAT;
 * macros @hourly @daily @midnight @weekly @monthly @yearly @annually) -> EventBridge
 * "cron(m h dom mon dow *)": day-of-week translated from cron (0 or 7 = Sunday) to EventBridge
 * numbering (1 = Sunday .. 7 = Saturday), steps and names expanded for it; "?" put in
 * day-of-month when day-of-week is restricted and vice versa; "*\/n" written "0/n" (or "1/n").
 * Both day fields restricted is refused (cron's OR rule has no EventBridge form). A value that
 * is already "cron(...)" (6 fields) or "rate(N unit)" is checked and kept. Returns 0 and a
 * malloc'd expression, or -EINVAL with why. */
int cohd_norm_cron(const char *s, char **ret_expr, char why[static COHD_NORM_WHY_MAX]);

/* Worker/task slug: lowercase; every run of characters outside [a-z0-9] becomes one '-';
 * leading/trailing '-' dropped; cut to max_len (<= 63) without a trailing '-'. Returns a
 * malloc'd slug or NULL (OOM); "" when nothing usable is left. */
char *cohd_norm_slug(const char *name, size_t max_len);

/* App/environment names: ^[a-z][a-z0-9-]*$, no "--" at the ends, 1..63 chars. */
bool cohd_norm_name_valid(const char *s);

/* "/api/" -> "/api", "api" -> "/api", "" -> "/"; NULL on OOM. Sets *ret_changed. */
char *cohd_norm_url_path(const char *s, bool *ret_changed);

/* Engines. "postgres"/"postgresql"/"pg" -> "postgres"; "mysql"; "redis"; "memcached". Returns the
 * canonical name or NULL. */
const char *cohd_norm_db_engine(const char *s);
const char *cohd_norm_cache_engine(const char *s);

/* Check a database/cache version for its engine ("13", "15.4", "8.0", 7) and return the major
 * (8 for "8.0") and the AWS EngineVersion to request (malloc'd). Redis majors map as cnc does:
 * 4 -> 4.0.10, 5 -> 5.0.6, 6 -> 6.2, 7 -> 7.0 (minor versions as written). */
int cohd_norm_engine_version(const char *engine, const char *version, unsigned *ret_major,
			     char **ret_engine_version, char why[static COHD_NORM_WHY_MAX]);

/* ALB target group matcher: "200-399" when a health check path was set, else "200-499". */
const char *cohd_norm_health_matcher(bool health_check_set);
