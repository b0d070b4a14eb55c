/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a config file with a size cap (see file.h), shared by app.c and daemon.c so both
 * report the same located diagnostics. Depends on lib/util only; no loop context.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config/file.h"
#include "lib/util/buf.h"

int cohd_config_read_file(const char *path, size_t cap, unsigned flags,
			  struct cohd_diag_list *diags, char **ret_data, size_t *ret_len)
{
	_cleanup_(cohd_buf_done) struct cohd_buf b;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len;
	char *data;
	int r;

	cohd_assert_return(path && diags && ret_data && ret_len, -EINVAL);
	cohd_buf_init(&b, cap);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = negative_errno();
		if (fd < 0 && r == -ENOENT && (flags & COHD_CONFIG_READ_MISSING_OK))
			return r;
		(void)cohd_diag_add(diags, COHD_DIAG_ERROR, path, 0, 0, "cannot read: %s",
				    strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)cohd_diag_add(diags, COHD_DIAG_ERROR, path, 0, 0, "not a regular file");
		return -EINVAL;
	}
	if ((flags & COHD_CONFIG_READ_SIZE_FIRST) && (size_t)st.st_size > cap) {
		(void)cohd_diag_add(diags, COHD_DIAG_ERROR, path, 0, 0,
				    "file too large: %lld bytes (the limit is %zu)",
				    (long long)st.st_size, cap);
		return -EINVAL;
	}
	for (;;) {
		char chunk[16384];
		ssize_t n = read(fd, chunk, sizeof chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = negative_errno();
			(void)cohd_diag_add(diags, COHD_DIAG_ERROR, path, 0, 0, "cannot read: %s",
					    strerror(-r));
			return r;
		}
		if (n == 0)
			break;
		r = cohd_buf_append(&b, chunk, (size_t)n);
		if (r == -EMSGSIZE) {
			(void)cohd_diag_add(diags, COHD_DIAG_ERROR, path, 0, 0,
					    "file too large (the limit is %zu bytes)", cap);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	len = b.len;
	data = cohd_buf_steal(&b);
	if (!data)
		return -ENOMEM;
	*ret_len = len;
	*ret_data = data;
	return 0;
}
