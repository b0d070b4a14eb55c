/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>

#include "daemon/cohd/commands.h"
#include "lib/util/macro.h"

int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_aws(int argc, char **argv);

/* Each command lives in daemon/cohd/cmd_<name>.c and adds its line here. */
const struct cohd_command cohd_commands[] = {
	{ "validate", "validate FILE...", "check app files; errors as file:line:column", cmd_validate },
	{ "plan", "plan FILE [--json | --dot]", "the AWS resources of one app file, offline", cmd_plan },
	{ "aws", "aws SERVICE OPERATION [OPTIONS]", "call one AWS operation, print the JSON response", cmd_aws },
	{},
};

const struct cohd_command *cohd_command_find(const char *name)
{
	for (const struct cohd_command *c = cohd_commands; c->name; c++)
		if (streq(c->name, name))
			return c;
	return NULL;
}
