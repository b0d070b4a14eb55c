/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The desired graph of a test app file, as the daemon would compile it (region eu-west-1), for
 * the resource type tests that check every builder against the service model. Test code only:
 * a file that does not parse or compile fails the Check test.
 */
#pragma once

#include "lib/model/graph.h"

/* rel: under tests/data ("plans/data.yml"); env_type: enum cohd_app_env_type. New graph. */
struct cohd_graph *test_compile_app(const char *rel, int env_type);
