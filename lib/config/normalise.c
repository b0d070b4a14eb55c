/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Normalisation of sizes, names, engines and versions (see normalise.h; cron is in cron.c).
 * Where cohd decides differently from cnc it says so here:
 *  - memory "2g", "512Mi", plain numbers are understood (cnc falls back to 1 GB silently);
 *  - "512M" means 512 MiB (cnc rounds up to the next multiple of 256 strictly above: 768);
 *  - CPU values between Fargate sizes round UP to the next size with a warning (cnc: anything
 *    not matching its rules becomes 0.5 vCPU).
 * Pure functions, no I/O.
 */
#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/config/normalise.h"

/* Write the reason (truncated to COHD_NORM_WHY_MAX) and return -EINVAL. */
_printf_(2, 3) static int why_set(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, COHD_NORM_WHY_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
#define WHY(...) why_set(why, __VA_ARGS__)

static const unsigned fargate_cpus[] = {256, 512, 1024, 2048, 4096, 8192, 16384};

struct fargate_mem {
	unsigned cpu, min, max, step;
};

/* AWS ECS task size table (Fargate, Linux). 256 allows 512, 1024, 2048 (handled specially). */
static const struct fargate_mem fargate_mems[] = {
	{256, 512, 2048, 0},	      {512, 1024, 4096, 1024},	 {1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},    {4096, 8192, 30720, 1024}, {8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
};

static const struct fargate_mem *mem_row(unsigned cpu)
{
	for (size_t i = 0; i < ELEMENTSOF(fargate_mems); i++)
		if (fargate_mems[i].cpu == cpu)
			return &fargate_mems[i];
	return NULL;
}

/* The smallest valid memory >= m for the row, or 0 if above its maximum. */
static unsigned mem_round_up(const struct fargate_mem *row, unsigned m)
{
	if (m > row->max)
		return 0;
	if (m <= row->min)
		return row->min;
	if (row->step == 0) /* 256 CPU: 512, 1024, 2048 */
		return m <= 1024 ? 1024 : 2048;
	return row->min + (m - row->min + row->step - 1) / row->step * row->step;
}

bool cohd_fargate_valid(unsigned cpu, unsigned memory)
{
	const struct fargate_mem *row = mem_row(cpu);

	return row && mem_round_up(row, memory) == memory;
}

static const char *skip_ws(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Parse a non-negative decimal number (digits, optional fraction); rest in *end. */
static int parse_decimal(const char *s, double *ret, const char **end)
{
	const char *p = s;
	bool digits = false;
	char *e;
	double v;

	while (isdigit((unsigned char)*p)) {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits = true;
		}
	}
	if (!digits || p - s > 32)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &e);
	if (errno || e != p || !isfinite(v))
		return -EINVAL;
	*ret = v;
	*end = p;
	return 0;
}

int cohd_norm_cpu(const char *s, unsigned *ret_units, bool *ret_rounded,
		  char why[static COHD_NORM_WHY_MAX])
{
	const char *p, *unit;
	double v, units;

	why[0] = 0;
	p = skip_ws(strempty(s));
	if (*p == '-')
		return WHY("cpu '%s' must be positive", s);
	if (parse_decimal(p, &v, &unit) < 0)
		return WHY("cpu '%s' is not a number of vCPUs (like 0.25, 0.5, 1, 2, 4, 8, 16)",
			   strempty(s));
	unit = skip_ws(unit);
	if (strcasecmp(unit, "vcpu") == 0 || strcasecmp(unit, "vcpus") == 0 || !*unit)
		units = !*unit && v >= 128 ? v : v * 1024; /* a bare number >= 128: CPU units */
	else if (streq(unit, "m"))
		units = v * 1024 / 1000; /* Kubernetes-style millicores */
	else
		return WHY("cpu '%s': unknown unit '%s' (write vCPUs, like 0.5 or 2)", s, unit);

	if (units <= 0)
		return WHY("cpu '%s' must be more than 0", s);
	for (size_t i = 0; i < ELEMENTSOF(fargate_cpus); i++)
		if (units <= fargate_cpus[i] + 1e-9) {
			*ret_units = fargate_cpus[i];
			*ret_rounded = fabs(units - fargate_cpus[i]) > 1e-9;
			return 0;
		}
	return WHY("cpu '%s' is more than Fargate's largest size (16 vCPU)", s);
}

int cohd_norm_memory(const char *s, unsigned *ret_mib, char why[static COHD_NORM_WHY_MAX])
{
	const char *p, *unit;
	double v, mib;

	why[0] = 0;
	p = skip_ws(strempty(s));
	if (*p == '-')
		return WHY("memory '%s' must be positive", s);
	if (parse_decimal(p, &v, &unit) < 0)
		return WHY("memory '%s' is not a size (like 512M, 2G, 2048)", strempty(s));
	unit = skip_ws(unit);
	if (!*unit) {
		if (v < 128)
			mib = v * 1024; /* "2" = 2 GiB */
		else if (v <= 122880)
			mib = v; /* "2048" = MiB */
		else if (fmod(v, 1048576.0) == 0)
			mib = v / 1048576.0; /* bytes, as in compose */
		else
			return WHY(
				"memory '%s': a plain number this large must be a whole number of "
				"bytes in MiB; write it with a unit (like 4G)",
				s);
	} else if (strcasecmp(unit, "m") == 0 || strcasecmp(unit, "mb") == 0 ||
		   strcasecmp(unit, "mi") == 0 || strcasecmp(unit, "mib") == 0) {
		mib = v;
	} else if (strcasecmp(unit, "g") == 0 || strcasecmp(unit, "gb") == 0 ||
		   strcasecmp(unit, "gi") == 0 || strcasecmp(unit, "gib") == 0) {
		mib = v * 1024;
	} else if (strcasecmp(unit, "k") == 0 || strcasecmp(unit, "kb") == 0 ||
		   strcasecmp(unit, "ki") == 0 || strcasecmp(unit, "kib") == 0) {
		mib = v / 1024;
	} else {
		return WHY("memory '%s': unknown unit '%s' (use M or G)", s, unit);
	}
	if (mib < 1)
		return WHY("memory '%s' is less than 1 MiB", s);
	if (mib > 122880)
		return WHY("memory '%s' is more than Fargate's largest size (120 GiB)", s);
	*ret_mib = (unsigned)ceil(mib);
	return 0;
}

static const char *vcpu_str(unsigned units, char buf[static 16])
{
	if (units % 1024 == 0)
		snprintf(buf, 16, "%u", units / 1024);
	else
		snprintf(buf, 16, "%g", units / 1024.0);
	return buf;
}

int cohd_norm_fargate(unsigned cpu, unsigned memory, unsigned *ret_cpu, unsigned *ret_memory,
		      char why[static COHD_NORM_WHY_MAX])
{
	const struct fargate_mem *row;
	char b1[16], b2[16];
	unsigned m;

	why[0] = 0;
	if (cpu == 0)
		cpu = COHD_FARGATE_CPU_DEFAULT;
	row = mem_row(cpu);
	if (!row)
		return WHY("%u CPU units is not a Fargate size", cpu);
	if (memory == 0) {
		/* cnc: the 512Mi default becomes 1 GB, then is raised to the CPU's minimum. */
		*ret_cpu = cpu;
		*ret_memory = MAX(1024u, row->min);
		return 0;
	}
	if (memory > row->max) {
		for (size_t i = 0; i < ELEMENTSOF(fargate_mems); i++)
			if (fargate_mems[i].max >= memory && fargate_mems[i].cpu > cpu) {
				snprintf(why, COHD_NORM_WHY_MAX,
					 "%u MiB of memory needs at least %s vCPU; using %s vCPU "
					 "instead of %s",
					 memory, vcpu_str(fargate_mems[i].cpu, b1),
					 vcpu_str(fargate_mems[i].cpu, b1), vcpu_str(cpu, b2));
				cpu = fargate_mems[i].cpu;
				row = &fargate_mems[i];
				break;
			}
		if (memory > row->max)
			return WHY("%u MiB of memory is more than Fargate allows", memory);
	}
	m = mem_round_up(row, memory);
	if (m != memory) {
		size_t l = strlen(why);

		if (memory < row->min)
			snprintf(why + l, COHD_NORM_WHY_MAX - l,
				 "%s%u MiB of memory is below Fargate's minimum for %s vCPU; using "
				 "%u MiB",
				 l ? "; " : "", memory, vcpu_str(cpu, b2), m);
		else
			snprintf(why + l, COHD_NORM_WHY_MAX - l,
				 "%s%u MiB of memory is not a Fargate size for %s vCPU; using %u "
				 "MiB",
				 l ? "; " : "", memory, vcpu_str(cpu, b2), m);
	}
	*ret_cpu = cpu;
	*ret_memory = m;
	return 0;
}

char *cohd_norm_slug(const char *name, size_t max_len)
{
	size_t n = strlen(strempty(name)), j = 0;
	char *out;
	bool dash = false;

	if (max_len > 63)
		max_len = 63;
	out = malloc(MIN(n, max_len) + 1);
	if (!out)
		return NULL;
	for (const char *p = strempty(name); *p && j < max_len; p++) {
		unsigned char c = (unsigned char)*p;

		if (isascii(c) && isalnum(c)) {
			if (dash && j > 0) {
				if (j + 2 > max_len)
					break; /* no room for "-x": stop at the word boundary */
				out[j++] = '-';
			}
			dash = false;
			out[j++] = (char)tolower(c);
		} else {
			dash = true;
		}
	}
	while (j > 0 && out[j - 1] == '-')
		j--;
	out[j] = 0;
	return out;
}

bool cohd_norm_name_valid(const char *s)
{
	size_t n;

	if (isempty(s))
		return false;
	n = strlen(s);
	if (n > 63 || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

char *cohd_norm_url_path(const char *s, bool *ret_changed)
{
	size_t n;
	char *out;

	s = strempty(s);
	n = strlen(s);
	out = malloc(n + 2);
	if (!out)
		return NULL;
	if (s[0] != '/') {
		out[0] = '/';
		memcpy(out + 1, s, n + 1);
		n++;
	} else {
		memcpy(out, s, n + 1);
	}
	while (n > 1 && out[n - 1] == '/')
		out[--n] = 0;
	*ret_changed = !streq(out, s);
	return out;
}

const char *cohd_norm_db_engine(const char *s)
{
	if (!s)
		return NULL;
	if (strcasecmp(s, "postgres") == 0 || strcasecmp(s, "postgresql") == 0 ||
	    strcasecmp(s, "pg") == 0)
		return "postgres";
	if (strcasecmp(s, "mysql") == 0)
		return "mysql";
	return NULL;
}

const char *cohd_norm_cache_engine(const char *s)
{
	if (!s)
		return NULL;
	if (strcasecmp(s, "redis") == 0)
		return "redis";
	if (strcasecmp(s, "memcached") == 0)
		return "memcached";
	return NULL;
}

/* "15.4" -> major 15, minor 4 (-1 if absent), rest after a second dot in *ret_patch (-1). */
static int split_version(const char *v, long *major, long *minor, long *patch)
{
	char *e;

	*minor = *patch = -1;
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	*major = strtol(v, &e, 10);
	if (errno || *major > 1000)
		return -EINVAL;
	if (*e == '.') {
		if (!isdigit((unsigned char)e[1]))
			return -EINVAL;
		*minor = strtol(e + 1, &e, 10);
		if (errno || *minor > 1000)
			return -EINVAL;
		if (*e == '.') {
			if (!isdigit((unsigned char)e[1]))
				return -EINVAL;
			*patch = strtol(e + 1, &e, 10);
			if (errno || *patch > 1000)
				return -EINVAL;
		}
	}
	return *e ? -EINVAL : 0;
}

int cohd_norm_engine_version(const char *engine, const char *version, unsigned *ret_major,
			     char **ret_engine_version, char why[static COHD_NORM_WHY_MAX])
{
	const char *ev = version;
	char buf[32];
	long ma, mi, pa;

	why[0] = 0;
	if (isempty(version) || split_version(version, &ma, &mi, &pa) < 0)
		return WHY("version '%s' of %s is not a version number (like 15 or 15.4)",
			   strempty(version), engine);

	if (streq(engine, "postgres")) {
		if (ma < 11 || ma > 17)
			return WHY("postgres version %s is not one RDS offers (11 to 17)", version);
		if (mi >= 0 && pa >= 0)
			return WHY("postgres version '%s': write MAJOR or MAJOR.MINOR", version);
	} else if (streq(engine, "mysql")) {
		if (mi < 0) {
			if (ma == 8) {
				ev = "8.0";
			} else if (ma == 5) {
				ev = "5.7";
			} else {
				return WHY("mysql version %s is not one RDS offers (5.7, 8.0, 8.4)",
					   version);
			}
		} else if (!((ma == 5 && mi == 7) || (ma == 8 && (mi == 0 || mi == 4)))) {
			return WHY("mysql version %s is not one RDS offers (5.7, 8.0, 8.4)",
				   version);
		}
	} else if (streq(engine, "redis")) {
		if (ma < 4 || ma > 7)
			return WHY("redis version %s is not one ElastiCache offers (4 to 7)",
				   version);
		if (mi < 0) {
			static const char *const full[] = {"4.0.10", "5.0.6", "6.2", "7.0"};

			ev = full[ma - 4];
		}
	} else if (streq(engine, "memcached")) {
		if (ma != 1 || mi < 4)
			return WHY(
				"memcached version %s is not one ElastiCache offers (1.4 to 1.6)",
				version);
		if (pa < 0 && mi == 6) {
			ev = "1.6.22";
		}
	} else {
		return WHY("unknown engine '%s'", engine);
	}
	snprintf(buf, sizeof buf, "%s", ev);
	*ret_engine_version = strdup(buf);
	if (!*ret_engine_version)
		return -ENOMEM;
	*ret_major = (unsigned)ma;
	return 0;
}

const char *cohd_norm_health_matcher(bool health_check_set)
{
	return health_check_set ? "200-399" : "200-499";
}
