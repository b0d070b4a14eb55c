/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Invariants of a compiled graph, checked by the tests, the fuzzer and (cheaply) by the daemon
 * before it acts on a plan: every dependency exists and there is no cycle; every resource cohd
 * owns carries the standard tags; every id fits its scope (app/..., env/<env>/...,
 * env/<env>/svc/<service>/..., one <env> per graph); every physical name fits its AWS limit and
 * alphabet; no IAM policy grants a secretsmanager action on "*". Pure; depends on util and
 * jansson.
 */
#pragma once

#include "lib/model/graph.h"
#include "lib/model/naming.h"

/* The name kind of a resource type, or -EINVAL when its "name" is not an AWS name (a
 * listener "<alb>:443", a DNS record, a certificate's domain). */
int cohd_model_name_kind(const char *type);

/* 0 if all invariants hold, else -EINVAL (or -ENOENT/-ELOOP) with the first violation in
 * reterr. */
int cohd_model_check(const struct cohd_graph *g, struct cohd_error *reterr);
