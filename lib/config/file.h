/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a config file (an app file, the daemon config) into memory with a size cap: open, fstat,
 * refuse anything but a regular file, read up to the cap. Every failure is a diagnostic at 0:0
 * naming the path. The parsing is the caller's (app.c, daemon.c). Depends on lib/util only;
 * blocking I/O, no loop context.
 */
#pragma once

#include <stddef.h>

#include "lib/config/diag.h"

enum {
	/* A missing file (-ENOENT from open) is returned without a diagnostic. */
	COHD_CONFIG_READ_MISSING_OK = 1u << 0,
	/* Refuse a file whose fstat size is above the cap before reading it, naming the size. */
	COHD_CONFIG_READ_SIZE_FIRST = 1u << 1,
};

/* Read path (at most cap bytes; flags: COHD_CONFIG_READ_*). Returns 0 with *ret_data (malloc'd,
 * NUL-terminated) and *ret_len; -EINVAL when the file is not a regular file or is above the cap,
 * -errno when it cannot be opened or read, each with an error in diags (except -ENOENT under
 * COHD_CONFIG_READ_MISSING_OK); -ENOMEM. */
int cohd_config_read_file(const char *path, size_t cap, unsigned flags,
			  struct cohd_diag_list *diags, char **ret_data, size_t *ret_len);
