/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Zip placeholder of the generate port: the archive lib/resources builds (libzip, fixed
 * timestamps and modes, name order, stored), handed to the engine as a blob string. The engine
 * keeps generated values out of the journal. Loop thread; no I/O.
 */
#include <stdlib.h>

#include "daemon/cohd/zip.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

int cohd_zip_generate(const json_t *placeholder, json_t **ret_value)
{
	_cleanup_free_ unsigned char *zip = NULL;
	size_t n;
	int r;

	r = cohd_lambda_zip_build(json_object_get(placeholder, "Zip"), &zip, &n);
	if (r < 0)
		return r;
	/* Raw bytes, not UTF-8: the protocols' blob convention (serialize.c base64-encodes them
	 * for the JSON body of CreateFunction/UpdateFunctionCode). */
	*ret_value = json_stringn_nocheck((const char *)zip, n);
	return *ret_value ? 0 : -ENOMEM;
}
