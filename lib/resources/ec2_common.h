/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the EC2 network types (lib/resources/ec2_*.c): look-up-before-create by the
 * Name tag, value normalisers for what EC2 reformats (CIDR forms), the "always equal" normaliser
 * of create-time-only slot fields, and set arithmetic on canonical JSON lists. Pure: jansson and
 * lib/reconcile's JSON helpers only; no I/O. Loop thread only, like every type callback.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "lib/reconcile/type.h"

/* Filters tag:Name = the resource's deterministic name (params for the type's describe_op). */
int cohd_ec2_lookup_by_name(const struct cohd_rec_type_ctx *ctx, json_t **ret);

/* An IPv4/IPv6 CIDR in canonical form: host bits cleared, IPv6 compressed, a bare address gets
 * its full prefix length. Anything unparsable is returned as is. New reference. */
json_t *cohd_ec2_cidr_normalise(const json_t *v);

/* Always `true`: for slot fields ("IpPermissions.0") that exist only so that the plan makes one
 * create-time call per desired element; the whole list is compared by another field. */
json_t *cohd_ec2_always_equal(const json_t *v);

/* Is x (compared as canonical JSON text) an element of the array set? */
bool cohd_ec2_set_has(const json_t *set, const json_t *x);

/* The value at path in the resolved desired properties of an update. The engine writes an
 * update's values into the properties with cohd_rec_json_set_path(), which turns an array on
 * the way into an object keyed by the index ("Routes.0" -> {"Routes": {"0": ...}}); the dotted
 * read works on both forms. Borrowed; NULL when absent. */
const json_t *cohd_ec2_prop(const struct cohd_rec_type_ctx *ctx, const char *path);
