/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generate port's Zip placeholder (lib/model/graph.h): {"Zip": {"<file>": "<contents>"}} ->
 * the bytes of a deterministic zip archive (lib/resources/lambda_zip.c: the same files give the
 * same bytes, so the same CodeSha256). Loop thread; no I/O.
 */
#pragma once

#include <jansson.h>

/* *ret_value: a new JSON string holding the archive's raw bytes (a blob in the protocols' terms:
 * not UTF-8, NULs included; json_string_length() is its size). -EINVAL for a malformed
 * placeholder (not an object of strings, or empty), -ENOMEM, -EIO when libzip fails. */
int cohd_zip_generate(const json_t *placeholder, json_t **ret_value);
