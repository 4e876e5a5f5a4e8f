/* xp_cmd_schema.c -- `mpcsim schema`: the schema of every CSV the project writes (xp_schema.h). */
#include <string.h>

#include "xp_cmds.h"
#include "xp_schema.h"

int xp_cmd_schema(int argc, char **argv)
{
    if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: mpcsim schema [NAME | --header NAME | --markdown]\n"
               "Without arguments, lists the outputs; NAME prints one output's columns with unit, format and\n"
               "meaning; --header NAME prints its CSV header line (for scripts that write CSV); --markdown\n"
               "prints the README's schema section (all outputs).\n");
        return 0;
    }
    if (argc == 0) {
        for (int k = 0; xp_schemas[k]; k++) printf("%-16s %s\n", xp_schemas[k]->name, xp_schemas[k]->writer);
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "--markdown") == 0) {
        xp_schema_markdown(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[0], "--header") == 0) {
        const xp_schema *s = xp_schema_find(argv[1]);
        if (!s) {
            fprintf(stderr, "error: schema: no output named '%s' (mpcsim schema lists them)\n", argv[1]);
            return 2;
        }
        xp_schema_header(stdout, s, 0);
        return 0;
    }
    if (argc == 1 && argv[0][0] != '-') {
        const xp_schema *s = xp_schema_find(argv[0]);
        if (!s) {
            fprintf(stderr, "error: schema: no output named '%s' (mpcsim schema lists them)\n", argv[0]);
            return 2;
        }
        xp_schema_describe(stdout, s);
        return 0;
    }
    fprintf(stderr, "error: schema: unexpected arguments (see mpcsim schema --help)\n");
    return 2;
}
