/* xp_cmds.h -- the mpcsim subcommands. Each takes argc/argv after the subcommand name and returns
 * the process exit code (0 ok, 1 runtime failure, 2 usage error). */
#ifndef XP_CMDS_H
#define XP_CMDS_H

int xp_cmd_ping(int argc, char **argv);
int xp_cmd_op(int argc, char **argv);
int xp_cmd_demo(int argc, char **argv);
int xp_cmd_data(int argc, char **argv);
int xp_cmd_infer(int argc, char **argv);
int xp_cmd_calibrate(int argc, char **argv);
int xp_cmd_fit_deployed(int argc, char **argv);
int xp_cmd_report(int argc, char **argv);
int xp_cmd_explain(int argc, char **argv);
int xp_cmd_sweep(int argc, char **argv);
int xp_cmd_merge(int argc, char **argv);
int xp_cmd_party(int argc, char **argv);
int xp_cmd_launch(int argc, char **argv);
int xp_cmd_keygen(int argc, char **argv);
int xp_cmd_train(int argc, char **argv);
int xp_cmd_distill(int argc, char **argv);
int xp_cmd_eval(int argc, char **argv);
int xp_cmd_schema(int argc, char **argv);

#endif
