/* xp_cmd_party.c -- `mpcsim party` (one party of an op over real TCP, one process per party) and
 * `mpcsim launch` (all three parties as child processes on loopback, result reported once). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xp.h"
#include "xp_cmds.h"
#include "xp_op_cli.h"
#include "xp_keys.h"
#include "../runtime/rt_op_tcp.h"
#include "xp_infer.h"
#include "../common/fx.h"
#include "../common/sbuf.h"
#include "../models/tfm_io.h"
#include "../runtime/rt_infer.h"
#include "../text/text_tok.h"

enum { LAUNCH_GRACE_S = 15 };

/* ---- options shared by party and launch ---- */

typedef struct pargs {
    const char *name, *shape, *out, *dump, *listen, *peers, *congestion, *keyfile, *peer_keys;
    int phantom, table, role, cc_given, key_fd, reproducible, out_party;
    net_keypair key;
    uint8_t peer_key[NET_MAX_PARTIES][NET_KEY_BYTES];
    uint64_t seed, fault_after, base_port;
    int fault_mode, fault_role, have_base_port;
    double connect_s, timeout_s, stall_s;
    mpc_config cfg;
    const rt_opdef *op;
    rt_shape s;
    char *addr[NET_MAX_PARTIES];
    const char **pass; /* launch: arguments handed to every party */
    int npass;
    /* infer */
    int infer;
    const char *infer_opt; /* the first infer-only option seen (refused for ops) */
    xp_model_opts mo;
    const char *weights, *text, *vocab, *input_file;
    uint64_t examples;
    int have_examples;
    tfm_config m;
    const char **only[3]; /* launch: arguments handed to one party only (P0: weights; P1: the input) */
    int nonly[3];
} pargs;

static void common_help(FILE *f)
{
    fprintf(f,
            "Op options (as `mpcsim op`): NAME --shape SHAPE [--mode real|phantom] [--seed N] [--dealer offline|inline]\n"
            "  [--format csv|table] [--out FILE] and the protocol options below. Every party must get the same ones:\n"
            "  a handshake compares a hash of op, shape, mode, seed and every protocol setting and refuses a mismatch.\n"
            "  --seed N chooses the synthetic test INPUTS only (public test data; each party uses only its own input).\n"
            "Security:\n"
            "  Every secret (the dealer's seeds, the pairwise seeds, every mask) comes from the OS CSPRNG; every\n"
            "  connection is authenticated with the parties' X25519 keys (mpcsim keygen) and every message is\n"
            "  encrypted and authenticated (AES-256-GCM: 16 bytes per message on the wire).\n"
            "  --output p0|p1          the party that learns the output (default p1): only it receives the other's\n"
            "                          output share, and it prints the result; the other parties print nothing\n"
            "  --insecure-reproducible derive every secret from --seed as the simulator does (byte-identical\n"
            "                          transcripts for benchmarks): INSECURE, anyone knowing the seed unmasks all\n"
            "Transport options:\n"
            "  --connect-timeout S   connecting, accepting and the handshakes must finish within S s (30)\n"
            "  --timeout S           a party waiting S s with nothing from a peer fails (60): peers may compute that\n"
            "                        long between messages; a peer that dies is detected at once (connection closed)\n"
            "  --stall-timeout S     a message that started arriving and then stalls for S s fails (5)\n"
            "  --congestion NAME     TCP congestion control for every socket (cubic; `default` = the system's). A\n"
            "                        named algorithm must be available (/proc/sys/net/ipv4/tcp_available_congestion_control);\n"
            "                        if the default cubic is not, the system default is kept with a warning\n"
            "  --dump-output FILE    output party, real mode: the reconstructed output, one %%.17g value per line\n"
            "CSV (the output party's stdout or --out): the columns of `mpcsim op`. rounds, bytes and dealer_bytes are counted by the\n"
            "same transport wrappers as in the simulator and equal its numbers for the same op, shape and seed;\n"
            "max_abs_err/max_rel_err too (same seed => same shares => same output). latency_s is MEASURED wall time:\n"
            "the larger of P0's and P1's online phase, each timed from a shared start (P0 and P1 exchange one uncounted\n"
            "'ready' byte after the setup; setup and seed exchange excluded; dealer round trips are real and included\n"
            "under both --dealer schedules, which change only how rounds are counted). net is `tcp`;\n"
            "bandwidth_bps and one_way_latency_s are empty (the network is real).\n\n");
    xp_cfg_help(f);
}

static void infer_help(FILE *f)
{
    fprintf(f,
            "Private inference (NAME = infer): P0 holds the model, P1 the input; the logits are revealed to P1 only.\n"
            "  infer --model NAME|--config config.json --seq T [--gelu A --softmax S --norm N] [--mode real|phantom]\n"
            "  P0:  --weights FILE.safetensors  (BERT tensor names; never sent in the clear: P0 secret-shares them.\n"
            "                                   Without it: random weights from --seed, for tests)\n"
            "  P1:  --vocab vocab.txt and --text \"...\" (tokenized as `mpcsim data tokenize`: [CLS] pieces [SEP], padded\n"
            "       to T, the padding mask public; a longer text is truncated to T-2 pieces, with a note) or\n"
            "       --input-file FILE (one example per line; one private inference each)\n"
            "  P0, D: --examples N  the number of examples P1 brings (default 1; public: the handshake checks it)\n"
            "  The handshake refuses parties whose model shape, approximations, --seq or protocol settings differ.\n"
            "  P1 prints, per example, 'prediction: example K: label L, probabilities p_0 ... p_n' (stderr) and an\n"
            "  `infer` CSV row (stdout or --out; net=tcp, latency_s measured wall time, compute_model real,\n"
            "  link and compute columns empty). `mpcsim launch infer` hands --weights to P0 only and the input\n"
            "  options to P1 only.\n\n");
}

static void party_usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim party --role p0|p1|dealer --peers p0=ADDR:PORT,p1=ADDR:PORT,dealer=ADDR:PORT\n"
            "                    --key FILE --peer-keys p0=KEY,p1=KEY,dealer=KEY\n"
            "                    [--listen ADDR:PORT] NAME --shape SHAPE [op and transport options]\n\n"
            "  --key FILE        this party's secret key (from `mpcsim keygen`; must not be readable by others)\n"
            "  --peer-keys LIST  every other party's public key: x25519:... as keygen prints it, or a .pub file\n"
            "                    (this party's own entry may be given: it must match --key). A peer that does not\n"
            "                    hold the private key of the public key given here is refused.\n"
            "Runs ONE party of a 2-party computation with a dealer over real TCP (one process per party, on one\n"
            "host or several). The output party prints the result, and on stderr a `wire:` line with the kernel's\n"
            "byte count of its connection to the other party (TCP_INFO: frames, headers, tags, handshake; what a\n"
            "capture shows) beside the protocol counters; the others print nothing unless something fails.\n"
            "Addresses are numeric (127.0.0.1:9000, [::1]:9000). --listen defaults to this party's --peers entry.\n"
            "Connections: P1 connects to P0; the dealer connects to P0, then to P1 (retried until\n"
            "--connect-timeout). Exit code 0 only if the whole run, including a clean close, succeeded; a peer that\n"
            "dies or sends a truncated message makes the others fail with a message naming it (exit 1).\n\n");
    infer_help(f);
    common_help(f);
}

static void launch_usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim launch NAME --shape SHAPE [--base-port N] [op and transport options]\n\n"
            "Runs P0, P1 and the dealer as three `mpcsim party` processes on 127.0.0.1 (ports N, N+1, N+2; by\n"
            "default three free ports chosen by the kernel), each with an ephemeral key pair made for this run\n"
            "(secret keys handed over a pipe, never on a command line), and prints the output party's result once all three have exited\n"
            "successfully. If any fails, prints how each party ended and exits 1 with no result; a party still\n"
            "running %d s after another failed is killed. The children die with the launcher.\n\n",
            LAUNCH_GRACE_S);
    infer_help(f);
    common_help(f);
}

static int parse_secs(const char *opt, const char *v, double *out)
{
    char *end;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || !*v || *end || !(x > 0) || x > 86400) {
        fprintf(stderr, "error: %s: '%s' is not a duration in seconds in (0, 86400]\n", opt, v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_role(const char *v)
{
    if (!v) return -1;
    if (strcmp(v, "p0") == 0 || strcmp(v, "P0") == 0) return NET_P0;
    if (strcmp(v, "p1") == 0 || strcmp(v, "P1") == 0) return NET_P1;
    if (strcmp(v, "dealer") == 0 || strcmp(v, "d") == 0 || strcmp(v, "D") == 0) return NET_D;
    return -1;
}

static int parse_fault_mode(const char *v)
{
    if (strcmp(v, "die") == 0) return NET_TCP_FAULT_DIE;
    if (strcmp(v, "truncate") == 0) return NET_TCP_FAULT_TRUNCATE;
    if (strcmp(v, "stall") == 0) return NET_TCP_FAULT_STALL;
    return -1;
}

static int load_keys(pargs *a)
{
    if (a->key_fd >= 0) {
        char text[512];
        int rc = xp_key_read_fd(a->key_fd, text, sizeof text);
        close(a->key_fd);
        rc = rc == 0 ? xp_key_parse_secret(text, &a->key) : -1;
        sodium_memzero(text, sizeof text);
        if (rc != 0) {
            fprintf(stderr, "error: --key-fd: no secret key on descriptor %d\n", a->key_fd);
            return -1;
        }
    } else if (!a->keyfile) {
        fprintf(stderr, "error: party: --key is required: this party's secret key (mpcsim keygen --out NAME makes "
                        "NAME and NAME.pub; `mpcsim launch` makes ephemeral ones by itself)\n");
        return -1;
    } else if (xp_key_load_secret(a->keyfile, &a->key) != 0)
        return -1;
    if (!a->peer_keys) {
        fprintf(stderr, "error: party: --peer-keys is required (p0=KEY,p1=KEY,dealer=KEY: x25519:... or .pub files; "
                        "this party's own entry may be left out)\n");
        return -1;
    }
    int have[NET_MAX_PARTIES] = {0};
    char *list = strdup(a->peer_keys), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(list, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        int role = -1;
        if (eq) {
            *eq = 0;
            role = parse_role(tok);
        }
        if (role < 0 || !eq[1] || have[role]) {
            fprintf(stderr, "error: --peer-keys: bad or repeated entry '%s' (want p0=KEY,p1=KEY,dealer=KEY)\n", tok);
            rc = -1;
            break;
        }
        have[role] = 1;
        rc = xp_key_load_public(eq + 1, a->peer_key[role], net_party_names[role]);
        if (rc == 0 && role == a->role && sodium_memcmp(a->peer_key[role], a->key.pk, NET_KEY_BYTES) != 0) {
            fprintf(stderr, "error: --peer-keys: the entry for %s (this party) is not the public half of --key\n",
                    net_party_names[role]);
            rc = -1;
        }
    }
    free(list);
    for (int i = 0; i < NET_MAX_PARTIES && rc == 0; i++)
        if (!have[i] && i != a->role) {
            fprintf(stderr, "error: --peer-keys: no key for %s\n", i == NET_D ? "dealer" : net_party_names[i]);
            rc = -1;
        }
    return rc;
}

static void pass_add(pargs *a, char **argv, int from, int to)
{
    for (int k = from; k <= to; k++) a->pass[a->npass++] = argv[k];
}

/* ---- infer: options ---- */

enum { INFER_MAX_LINE = 1 << 20 };

/* The examples of an --input-file: one per line (a last line without '\n' counts). -1 on error. */
static long count_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: --input-file: cannot read '%s': %s\n", path, strerror(errno));
        return -1;
    }
    sbuf b = {0};
    long n = 0;
    int r;
    while ((r = sbuf_getline(&b, f, INFER_MAX_LINE)) == 1) n++;
    sbuf_free(&b);
    fclose(f);
    if (r == -2) {
        fprintf(stderr, "error: --input-file %s: line %ld is longer than %d bytes\n", path, n + 1, INFER_MAX_LINE);
        return -1;
    }
    if (r < 0) {
        fprintf(stderr, "error: --input-file %s: read error\n", path);
        return -1;
    }
    if (n == 0) fprintf(stderr, "error: --input-file %s: no examples (the file is empty)\n", path);
    return n ? n : -1;
}

static int infer_inputs(const pargs *a, int T, int quiet, int **ids_out, uint8_t **mask_out);

static int infer_setup(pargs *a, int launch)
{
    const char *cmd = launch ? "launch" : "party";
    if (a->shape) {
        fprintf(stderr, "error: %s infer: --shape does not apply (the model and --seq fix every shape)\n", cmd);
        return -1;
    }
    if (xp_cfg_check(&a->cfg) != 0 || xp_model_setup(&a->m, &a->cfg, &a->mo, cmd) != 0) return -1;
    if (a->weights && a->phantom) {
        fprintf(stderr, "error: --weights needs --mode real (phantom mode does no arithmetic)\n");
        return -1;
    }
    if (a->out_party != NET_P1) {
        fprintf(stderr, "error: %s infer: --output p0: an inference reveals its logits to P1 (the input's owner) only\n",
                cmd);
        return -1;
    }
    if (a->text && a->input_file) {
        fprintf(stderr, "error: %s infer: --text and --input-file: one input at a time\n", cmd);
        return -1;
    }
    if (!a->phantom && !a->text && !a->input_file && (launch || a->role == NET_P1)) {
        fprintf(stderr, "error: %s infer: P1's input is required in real mode: --text \"...\" or --input-file FILE "
                        "(with --vocab vocab.txt)\n", cmd);
        return -1;
    }
    if ((a->text || a->input_file) && !a->vocab && (launch || a->role == NET_P1)) {
        fprintf(stderr, "error: %s infer: --vocab vocab.txt is required to tokenize P1's input (WordPiece, as "
                        "`mpcsim data tokenize`)\n", cmd);
        return -1;
    }
    if (launch && a->input_file) { /* every party must know how many examples P1 brings */
        long n = count_lines(a->input_file);
        if (n < 0) return -1;
        a->examples = (uint64_t)n;
    }
    if (launch && !a->phantom) { /* P1's input errors before any process starts */
        int *ids;
        uint8_t *mask;
        if (infer_inputs(a, (int)a->mo.seq, 1, &ids, &mask) != 0) return -1;
        free(ids);
        free(mask);
    }
    return 0;
}

static int infer_role_check(pargs *a)
{
    const char *me = a->role == NET_D ? "the dealer" : net_party_names[a->role];
    if (a->weights && a->role != NET_P0) {
        fprintf(stderr, "error: party infer: --weights: only P0 holds the model (this is %s)\n", me);
        return -1;
    }
    if ((a->text || a->input_file || a->vocab) && a->role != NET_P1) {
        fprintf(stderr, "error: party infer: %s: only P1 holds the input (this is %s)\n",
                a->text ? "--text" : a->input_file ? "--input-file" : "--vocab", me);
        return -1;
    }
    if (a->role == NET_P1 && a->have_examples) {
        fprintf(stderr, "error: party infer: --examples is for P0 and the dealer (P1 counts its own input)\n");
        return -1;
    }
    if (a->role == NET_P1) {
        if (a->input_file) {
            long n = count_lines(a->input_file);
            if (n < 0) return -1;
            a->examples = (uint64_t)n;
        } else
            a->examples = 1;
    }
    return 0;
}

/* Returns 0 ok, 1 help printed, 2 usage error (printed). */
static int parse_args(pargs *a, int argc, char **argv, int launch)
{
    memset(a, 0, sizeof *a);
    a->role = -1;
    a->seed = 1;
    a->fault_role = -1;
    a->congestion = "cubic";
    a->key_fd = -1;
    a->out_party = NET_P1;
    if (xp_cfg_init(&a->cfg, argc, argv) != 0) return 2;
    a->pass = chk_calloc((size_t)argc + 1, sizeof *a->pass);
    for (int r = 0; r < 3; r++) a->only[r] = chk_calloc((size_t)argc + 1, sizeof *a->only[r]);
    a->examples = 1;
    const char *v, *cmd = launch ? "launch" : "party";
    for (int i = 0; i < argc; i++) {
        int r, st = i, pass = 1;
        xp_netopts dummy;
        xp_net_defaults(&dummy);
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            (launch ? launch_usage : party_usage)(stdout);
            return 1;
        }
        if ((r = xp_cfg_arg(&a->cfg, argc, argv, &i))) {
            if (r < 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--shape", 1, &a->shape))) {
            if (r < 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--mode", 1, &v))) {
            if (r < 0) return 2;
            if (strcmp(v, "real") == 0) a->phantom = 0;
            else if (strcmp(v, "phantom") == 0) a->phantom = 1;
            else {
                fprintf(stderr, "error: --mode: unknown mode '%s' (real or phantom)\n", v);
                return 2;
            }
        } else if ((r = xp_arg(argc, argv, &i, "--format", 1, &v))) {
            if (r < 0) return 2;
            if (strcmp(v, "csv") == 0) a->table = 0;
            else if (strcmp(v, "table") == 0) a->table = 1;
            else {
                fprintf(stderr, "error: --format: unknown format '%s' (csv or table)\n", v);
                return 2;
            }
        } else if ((r = xp_arg(argc, argv, &i, "--seed", 1, &v))) {
            if (r < 0 || xp_parse_u64("--seed", v, 0, UINT64_MAX, &a->seed) != 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--out", 1, &a->out))) {
            if (r < 0) return 2;
            pass = !launch;
        } else if ((r = xp_arg(argc, argv, &i, "--dump-output", 1, &a->dump))) {
            if (r < 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--connect-timeout", 1, &v))) {
            if (r < 0 || parse_secs("--connect-timeout", v, &a->connect_s) != 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--timeout", 1, &v))) {
            if (r < 0 || parse_secs("--timeout", v, &a->timeout_s) != 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--stall-timeout", 1, &v))) {
            if (r < 0 || parse_secs("--stall-timeout", v, &a->stall_s) != 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--congestion", 1, &v))) {
            if (r < 0) return 2;
            if (!*v || strlen(v) >= 16) {
                fprintf(stderr, "error: --congestion: '%s' is not an algorithm name like cubic, reno or bbr\n", v);
                return 2;
            }
            a->congestion = strcmp(v, "default") == 0 ? NULL : v;
            a->cc_given = 1;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--role", 1, &v))) {
            if (r < 0) return 2;
            if ((a->role = parse_role(v)) < 0) {
                fprintf(stderr, "error: --role: unknown role '%s' (p0, p1 or dealer)\n", v);
                return 2;
            }
        } else if ((r = xp_arg(argc, argv, &i, "--insecure-reproducible", 0, &v))) {
            if (r < 0) return 2;
            a->reproducible = 1;
        } else if ((r = xp_arg(argc, argv, &i, "--output", 1, &v))) {
            if (r < 0) return 2;
            int ro = parse_role(v);
            if (ro != NET_P0 && ro != NET_P1) {
                fprintf(stderr, "error: --output: '%s' is not p0 or p1 (the dealer never learns the output)\n", v);
                return 2;
            }
            a->out_party = ro;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--key", 1, &a->keyfile))) {
            if (r < 0) return 2;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--peer-keys", 1, &a->peer_keys))) {
            if (r < 0) return 2;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--key-fd", 1, &v))) { /* hidden: launch */
            uint64_t fdv;
            if (r < 0 || xp_parse_u64("--key-fd", v, 0, 1023, &fdv) != 0) return 2;
            a->key_fd = (int)fdv;
        } else if (launch && (strcmp(argv[i], "--key") == 0 || strcmp(argv[i], "--peer-keys") == 0)) {
            fprintf(stderr, "error: launch: %s: launch makes an ephemeral key pair for each of its parties\n", argv[i]);
            return 2;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--listen", 1, &a->listen))) {
            if (r < 0) return 2;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--peers", 1, &a->peers))) {
            if (r < 0) return 2;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--die-after-messages", 1, &v))) { /* hidden: tests */
            if (r < 0 || xp_parse_u64("--die-after-messages", v, 0, UINT64_MAX, &a->fault_after) != 0) return 2;
            if (!a->fault_mode) a->fault_mode = NET_TCP_FAULT_DIE;
        } else if (!launch && (r = xp_arg(argc, argv, &i, "--fault-mode", 1, &v))) { /* hidden: tests */
            if (r < 0) return 2;
            if ((a->fault_mode = parse_fault_mode(v)) < 0) {
                fprintf(stderr, "error: --fault-mode: '%s' is not die, truncate or stall\n", v);
                return 2;
            }
        } else if (launch && (r = xp_arg(argc, argv, &i, "--base-port", 1, &v))) {
            if (r < 0 || xp_parse_u64("--base-port", v, 1024, 65533, &a->base_port) != 0) return 2;
            a->have_base_port = 1;
            pass = 0;
        } else if (launch && (r = xp_arg(argc, argv, &i, "--fault", 1, &v))) { /* hidden: ROLE:MODE:N */
            if (r < 0) return 2;
            char role[16], mode[16];
            unsigned long long n;
            if (sscanf(v, "%15[^:]:%15[^:]:%llu", role, mode, &n) != 3 || (a->fault_role = parse_role(role)) < 0 ||
                (a->fault_mode = parse_fault_mode(mode)) < 0) {
                fprintf(stderr, "error: --fault: '%s' is not ROLE:die|truncate|stall:N\n", v);
                return 2;
            }
            a->fault_after = n;
            pass = 0;
        } else if ((r = xp_arg(argc, argv, &i, "--model", 1, &a->mo.model)) ||
                   (r = xp_arg(argc, argv, &i, "--config", 1, &a->mo.config)) ||
                   (r = xp_arg(argc, argv, &i, "--gelu", 1, &a->mo.gelu)) ||
                   (r = xp_arg(argc, argv, &i, "--softmax", 1, &a->mo.softmax)) ||
                   (r = xp_arg(argc, argv, &i, "--norm", 1, &a->mo.norm))) {
            if (r < 0) return 2;
            if (!a->infer_opt) a->infer_opt = argv[st];
        } else if ((r = xp_arg(argc, argv, &i, "--seq", 1, &v))) {
            if (r < 0 || xp_parse_u64("--seq", v, 2, 65536, &a->mo.seq) != 0) return 2;
            if (!a->infer_opt) a->infer_opt = argv[st];
        } else if ((r = xp_arg(argc, argv, &i, "--weights", 1, &a->weights)) ||
                   (r = xp_arg(argc, argv, &i, "--text", 1, &a->text)) ||
                   (r = xp_arg(argc, argv, &i, "--vocab", 1, &a->vocab)) ||
                   (r = xp_arg(argc, argv, &i, "--input-file", 1, &a->input_file))) {
            if (r < 0) return 2;
            if (!a->infer_opt) a->infer_opt = argv[st];
            if (launch) { /* the weights to P0 only, the input to P1 only */
                int to = strcmp(argv[st], "--weights") == 0 ? NET_P0 : NET_P1;
                for (int k = st; k <= i; k++) a->only[to][a->nonly[to]++] = argv[k];
                pass = 0;
            }
        } else if ((r = xp_arg(argc, argv, &i, "--examples", 1, &v))) {
            if (r < 0 || xp_parse_u64("--examples", v, 1, 1000000, &a->examples) != 0) return 2;
            if (!a->infer_opt) a->infer_opt = argv[st];
            a->have_examples = 1;
            if (launch) {
                fprintf(stderr, "error: launch: --examples: launch counts P1's examples itself\n");
                return 2;
            }
        } else if ((r = xp_net_arg(&dummy, argc, argv, &i))) {
            fprintf(stderr, "error: %s: %s: simulator network options do not apply, the network is real\n", cmd, argv[st]);
            return 2;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "error: %s: unknown option '%s' (see mpcsim %s --help)\n", cmd, argv[i], cmd);
            return 2;
        } else {
            if (a->name) {
                fprintf(stderr, "error: %s: one job at a time ('%s' and '%s')\n", cmd, a->name, argv[i]);
                return 2;
            }
            a->name = argv[i];
        }
        if (pass) pass_add(a, argv, st, i);
    }
    if (!a->name) {
        fprintf(stderr, "error: %s: which op? (mpcsim op --list; or infer)\n", cmd);
        return 2;
    }
    a->infer = strcmp(a->name, "infer") == 0;
    if (a->infer) {
        if (infer_setup(a, launch) != 0) return 2;
    } else if (a->infer_opt) {
        fprintf(stderr, "error: %s: %s belongs to `%s infer` (a private inference), not to op '%s'\n", cmd, a->infer_opt,
                cmd, a->name);
        return 2;
    }
    if (!a->infer) a->op = xp_op_lookup(&a->cfg, a->name, cmd);
    if (!a->infer && (!a->op || xp_cfg_check(&a->cfg) != 0)) return 2;
    if (!a->infer && !a->shape) {
        fprintf(stderr, "error: %s: --shape is required (e.g. --shape %s)\n", cmd,
                a->op->kind == RT_SHAPE_MATMUL ? "128x768@768x768" : "1024");
        return 2;
    }
    char err[256];
    if (!a->infer && rt_shape_parse(&a->s, a->shape, a->op->kind == RT_SHAPE_MATMUL, err, sizeof err) != 0) {
        fprintf(stderr, "error: --shape: %s\n", err);
        return 2;
    }
    if (launch) return 0;
    if (a->role < 0) {
        fprintf(stderr, "error: party: --role is required (p0, p1 or dealer)\n");
        return 2;
    }
    if (!a->peers) {
        fprintf(stderr, "error: party: --peers is required (p0=ADDR:PORT,p1=ADDR:PORT,dealer=ADDR:PORT)\n");
        return 2;
    }
    /* --peers p0=A,p1=B,dealer=C */
    char *list = strdup(a->peers), *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        int role = -1;
        if (eq) {
            *eq = 0;
            role = parse_role(tok);
        }
        if (role < 0 || !eq[1] || a->addr[role]) {
            fprintf(stderr, "error: --peers: bad or repeated entry '%s' (want p0=ADDR:PORT,p1=ADDR:PORT,dealer=ADDR:PORT)\n", tok);
            free(list);
            return 2;
        }
        a->addr[role] = strdup(eq + 1);
    }
    free(list);
    for (int i = 0; i < NET_MAX_PARTIES; i++)
        if (!a->addr[i]) {
            fprintf(stderr, "error: --peers: no address for %s (want p0=ADDR:PORT,p1=ADDR:PORT,dealer=ADDR:PORT)\n",
                    i == NET_D ? "dealer" : net_party_names[i]);
            return 2;
        }
    if (load_keys(a) != 0) return 2;
    if (a->infer && infer_role_check(a) != 0) return 2;
    return 0;
}

static void pargs_free(pargs *a)
{
    sodium_memzero(&a->key, sizeof a->key);
    for (int i = 0; i < NET_MAX_PARTIES; i++) free(a->addr[i]);
    free(a->pass);
    for (int r = 0; r < 3; r++) free(a->only[r]);
}

/* ---- party ---- */

static void print_result(FILE *f, const pargs *a, const rt_op_tcp_outcome *oc)
{
    xp_op_row row = {a->op->name, a->s.text, a->phantom, &oc->res, oc->max_abs_err, oc->max_rel_err, &a->cfg, NULL, 0, 0,
                     a->seed};
    xp_op_write_row(f, a->table, &row);
}

/* ---- party: infer ---- */

/* P1's examples, tokenized at length T. Returns 0 or -1 (message printed). */
static int infer_inputs(const pargs *a, int T, int quiet, int **ids_out, uint8_t **mask_out)
{
    text_tok *tok = NULL;
    char err[1024];
    if (text_tok_load(&tok, a->vocab, err, sizeof err) != TEXT_TOK_OK) {
        fprintf(stderr, "error: --vocab: %s\n", err);
        return -1;
    }
    if ((int64_t)text_tok_size(tok) != a->m.V) {
        fprintf(stderr, "error: --vocab %s has %zu tokens, but the model's vocabulary has %d: this vocab does not "
                        "match the model (use the vocab.txt the model was trained with)\n",
                a->vocab, text_tok_size(tok), a->m.V);
        text_tok_destroy(tok);
        return -1;
    }
    size_t n = (size_t)a->examples;
    int32_t *id32 = chk_malloc((size_t)T * sizeof *id32);
    int *ids = chk_malloc(n * (size_t)T * sizeof *ids);
    uint8_t *mask = chk_malloc(n * (size_t)T);
    FILE *f = NULL;
    if (a->input_file && !(f = fopen(a->input_file, "rb"))) {
        fprintf(stderr, "error: --input-file: cannot read '%s': %s\n", a->input_file, strerror(errno));
        goto fail;
    }
    sbuf line = {0};
    for (size_t k = 0; k < n; k++) {
        const char *text = a->text;
        size_t len = text ? strlen(text) : 0;
        char where[64] = "--text";
        if (f) {
            if (sbuf_getline(&line, f, INFER_MAX_LINE) != 1) {
                fprintf(stderr, "error: --input-file %s: line %zu: cannot read it (the file changed?)\n", a->input_file,
                        k + 1);
                sbuf_free(&line);
                goto fail;
            }
            text = line.p ? line.p : "";
            len = line.n;
            snprintf(where, sizeof where, "line %zu", k + 1);
        }
        size_t np = 0;
        text_tok_encode(tok, id32, mask + k * (size_t)T, (size_t)T, text, len, &np);
        if (np == 0) {
            if (f) fprintf(stderr, "error: P1: --input-file %s, %s: ", a->input_file, where);
            else fprintf(stderr, "error: P1: --text: ");
            fprintf(stderr, "the text is empty (no word pieces): nothing to classify\n");
            sbuf_free(&line);
            goto fail;
        }
        if (np > (size_t)T - 2 && !quiet)
            fprintf(stderr, "note: P1: %s%s: %zu word pieces, truncated to the first %d (--seq %d with [CLS] and [SEP]), "
                            "as `mpcsim data tokenize --max-len %d` does\n",
                    f ? "example on " : "", where, np, T - 2, T, T);
        for (int t = 0; t < T; t++) ids[k * (size_t)T + (size_t)t] = id32[t];
    }
    sbuf_free(&line);
    if (f) fclose(f);
    free(id32);
    text_tok_destroy(tok);
    *ids_out = ids;
    *mask_out = mask;
    return 0;
fail:
    if (f) fclose(f);
    free(id32);
    free(ids);
    free(mask);
    text_tok_destroy(tok);
    return -1;
}

static int party_infer(pargs *a, const rt_tcp_opts *to)
{
    const int T = (int)a->mo.seq, real = !a->phantom;
    tfm_params w;
    memset(&w, 0, sizeof w);
    int *ids = NULL;
    uint8_t *mask = NULL;
    char err[512];
    if (real && a->role == NET_P0) {
        tfm_params_alloc(&w, &a->m);
        if (a->weights) {
            if (tfm_load_safetensors(a->weights, &a->m, &w, err, sizeof err) != TFM_OK ||
                tfm_params_check_fixed(&a->m, &w, fx_range(a->cfg.frac_bits), err, sizeof err) != TFM_OK) {
                fprintf(stderr, "error: --weights %s: %s\n", a->weights, err);
                tfm_params_free(&w);
                return 2;
            }
        } else {
            fprintf(stderr, "note: P0: no --weights: random weights from --seed %llu (for tests)\n",
                    (unsigned long long)a->seed);
            tfm_params_init(&w, &a->m, a->seed);
        }
    }
    if (real && a->role == NET_P1 && infer_inputs(a, T, 0, &ids, &mask) != 0) return 2;
    uint8_t *dummy = real ? chk_calloc((size_t)T, 1) : NULL; /* P0, D: the key mask P1 publishes */
    /* P1's rows go to memory first: a failure leaves no output file at all. */
    char *rows = NULL;
    size_t rows_len = 0;
    FILE *mf = a->role == NET_P1 ? open_memstream(&rows, &rows_len) : NULL;
    xp_rows rw;
    if (mf) xp_rows_open(&rw, mf, &xp_schema_infer, a->table ? XP_ROWS_TABLE : XP_ROWS_CSV);
    char *lg = NULL; /* --dump-output: P1's logits, one %.17g per line, example after example */
    size_t lg_len = 0;
    FILE *lf = mf && a->dump ? open_memstream(&lg, &lg_len) : NULL;
    int rc = 0;
    for (uint64_t k = 0; k < a->examples && rc == 0; k++) {
        rt_infer inf;
        rt_job j;
        const uint8_t *km = !real ? NULL : a->role == NET_P1 ? mask + k * (size_t)T : dummy;
        rt_infer_job(&j, &inf, &a->cfg, a->phantom, a->seed, &a->m, T, a->role == NET_P0 && real ? &w : NULL,
                     ids ? ids + k * (size_t)T : NULL, km, NULL);
        char desc[400];
        snprintf(desc, sizeof desc, "%s examples=%llu example=%llu", inf.desc, (unsigned long long)a->examples,
                 (unsigned long long)k + 1);
        j.desc = desc;
        rt_tcp_outcome oc;
        if (rt_tcp_run(to, &j, &oc) != 0) rc = 1;
        else if (a->role == NET_P1) {
            double prob[RT_INFER_MAX_LABELS];
            if (real) {
                int label = rt_infer_label(inf.logits, a->m.NL, prob);
                fprintf(stderr, "prediction: example %llu: label %d, probabilities", (unsigned long long)k + 1, label);
                for (int c = 0; c < a->m.NL; c++) fprintf(stderr, " %.6f", prob[c]);
                fprintf(stderr, "; logits");
                for (int c = 0; c < a->m.NL; c++) fprintf(stderr, " %.6f", inf.logits[c]);
                fprintf(stderr, "\n");
            }
            xp_infer_row row = {&a->m, T, a->phantom, &a->cfg, &oc.res, NULL, NULL, 0, 0, 0, -1, NULL,
                                real || a->cfg.trunc != MPC_TRUNC_LOCAL};
            xp_infer_write_row(&rw, &row);
            for (int c = 0; c < a->m.NL && real && lf; c++) fprintf(lf, "%.17g\n", inf.logits[c]);
        }
        rt_tcp_outcome_free(&oc);
        rt_infer_free(&inf);
    }
    if (mf) fclose(mf);
    if (lf) fclose(lf);
    if (rc == 0 && a->role == NET_P1) {
        xp_out out;
        if (xp_out_open(&out, a->out) != 0) rc = 1;
        else {
            if (rows_len) fwrite(rows, 1, rows_len, out.f);
            if (xp_out_close(&out) != 0) rc = 1;
        }
        if (rc == 0 && a->dump && xp_out_open(&out, a->dump) == 0) {
            if (lg_len) fwrite(lg, 1, lg_len, out.f);
            if (xp_out_close(&out) != 0) rc = 1;
        } else if (rc == 0 && a->dump)
            rc = 1;
    }
    free(rows);
    free(lg);
    free(dummy);
    free(ids);
    free(mask);
    tfm_params_free(&w);
    return rc;
}

int xp_cmd_party(int argc, char **argv)
{
    pargs a;
    int rc = parse_args(&a, argc, argv, 0);
    if (rc) {
        pargs_free(&a);
        return rc == 1 ? 0 : 2;
    }
    rt_op_tcp_opts o;
    memset(&o, 0, sizeof o);
    rt_tcp_opts *to = &o.tcp;
    to->role = a.role;
    for (int i = 0; i < NET_MAX_PARTIES; i++) to->addr[i] = a.addr[i];
    to->listen = a.listen;
    to->connect_timeout_ns = (int64_t)(a.connect_s * 1e9);
    to->io_timeout_ns = (int64_t)(a.timeout_s * 1e9);
    to->stall_timeout_ns = (int64_t)(a.stall_s * 1e9);
    to->congestion = a.congestion;
    to->congestion_strict = a.cc_given;
    to->fault_mode = a.fault_mode;
    to->fault_after = a.fault_after;
    to->key = &a.key;
    for (int i = 0; i < NET_MAX_PARTIES; i++) to->peer_key[i] = i == a.role ? NULL : a.peer_key[i];
    to->out_party = a.out_party;
    to->reproducible = a.reproducible;
    o.op = a.op;
    o.shape = &a.s;
    o.cfg = &a.cfg;
    o.phantom = a.phantom;
    o.seed = a.seed;
    if (a.reproducible)
        fprintf(stderr, "warning: %s: --insecure-reproducible: every secret is derived from the public --seed; anyone "
                        "who knows it can unmask every value of this run. For benchmarks only.\n",
                net_party_names[a.role]);
    if (a.infer) {
        rc = party_infer(&a, to);
        pargs_free(&a);
        return rc;
    }
    rt_op_tcp_outcome oc;
    if (rt_op_tcp_run(&o, &oc) != 0) {
        pargs_free(&a);
        return 1;
    }
    rc = 0;
    if (a.role == a.out_party) {
        xp_out out;
        if (xp_out_open(&out, a.out) != 0) rc = 1;
        else {
            print_result(out.f, &a, &oc);
            if (xp_out_close(&out) != 0) rc = 1;
        }
        if (rc == 0 && a.dump && oc.got) {
            xp_out d;
            if (xp_out_open(&d, a.dump) != 0) rc = 1;
            else {
                for (size_t i = 0; i < oc.nout; i++) fprintf(d.f, "%.17g\n", oc.got[i]);
                if (xp_out_close(&d) != 0) rc = 1;
            }
        }
    }
    rt_op_tcp_outcome_free(&oc);
    pargs_free(&a);
    return rc;
}

/* ---- launch ---- */

static void describe_status(char *buf, size_t n, int st)
{
    if (WIFEXITED(st)) snprintf(buf, n, "exit status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else snprintf(buf, n, "status 0x%x", st);
}

int xp_cmd_launch(int argc, char **argv)
{
    pargs a;
    int rc = parse_args(&a, argc, argv, 1);
    if (rc) {
        pargs_free(&a);
        return rc == 1 ? 0 : 2;
    }
    int port[3];
    if (a.have_base_port)
        for (int i = 0; i < 3; i++) port[i] = (int)a.base_port + i;
    else if (rt_tcp_free_ports(port) != 0) {
        fprintf(stderr, "error: launch: no free loopback ports: %s\n", strerror(errno));
        pargs_free(&a);
        return 1;
    }
    char exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) {
        fprintf(stderr, "error: launch: cannot find the mpcsim binary (/proc/self/exe): %s\n", strerror(errno));
        pargs_free(&a);
        return 1;
    }
    exe[el] = 0;
    char addr[3][32], peers[128], fault_n[32], pubs[3 * NET_KEY_TEXT + 32];
    for (int i = 0; i < 3; i++) snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", port[i]);
    /* Ephemeral key pairs for this run; each secret goes to its party through a pipe. */
    net_keypair kp[3];
    char pk[3][NET_KEY_TEXT];
    int kfd[3] = {-1, -1, -1};
    for (int r = 0; r < 3; r++) {
        net_key_generate(&kp[r]);
        net_key_format(pk[r], kp[r].pk);
        int kp2[2];
        char line[XP_KEY_SECRET_TEXT];
        int ll = xp_key_format_secret(line, &kp[r]);
        int ok = pipe2(kp2, O_CLOEXEC) == 0;
        if (ok) {
            ok = write(kp2[1], line, (size_t)ll) == ll; /* 70 bytes: a pipe takes them at once */
            close(kp2[1]);
            kfd[r] = kp2[0];
        }
        sodium_memzero(line, sizeof line);
        sodium_memzero(&kp[r].sk, sizeof kp[r].sk);
        if (!ok) {
            fprintf(stderr, "error: launch: cannot hand a key to a party (pipe): %s\n", strerror(errno));
            for (int q = 0; q <= r; q++)
                if (kfd[q] >= 0) close(kfd[q]);
            pargs_free(&a);
            return 1;
        }
    }
    snprintf(pubs, sizeof pubs, "p0=%s,p1=%s,dealer=%s", pk[0], pk[1], pk[2]);
    enum { KEY_FD = 9 };
    snprintf(peers, sizeof peers, "p0=%s,p1=%s,dealer=%s", addr[0], addr[1], addr[2]);
    snprintf(fault_n, sizeof fault_n, "%llu", (unsigned long long)a.fault_after);
    char examples[32];
    snprintf(examples, sizeof examples, "%llu", (unsigned long long)a.examples);
    static const char *const role_arg[3] = {"p0", "p1", "dealer"};
    static const char *const mode_arg[4] = {"", "die", "truncate", "stall"};

    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        fprintf(stderr, "error: launch: pipe: %s\n", strerror(errno));
        pargs_free(&a);
        return 1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid(), pid[3] = {-1, -1, -1};
    int64_t t0 = rt_mono_ns();
    for (int r = 0; r < 3; r++) {
        const char **cv = chk_calloc((size_t)a.npass + (size_t)a.nonly[r] + 24, sizeof *cv); /* 18 fixed + NULL */
        int k = 0;
        cv[k++] = exe;
        cv[k++] = "party";
        cv[k++] = "--role";
        cv[k++] = role_arg[r];
        cv[k++] = "--listen";
        cv[k++] = addr[r];
        cv[k++] = "--peers";
        cv[k++] = peers;
        cv[k++] = "--key-fd";
        cv[k++] = "9";
        cv[k++] = "--peer-keys";
        cv[k++] = pubs;
        for (int j = 0; j < a.npass; j++) cv[k++] = a.pass[j];
        for (int j = 0; j < a.nonly[r]; j++) cv[k++] = a.only[r][j];
        if (a.infer && r != NET_P1) {
            cv[k++] = "--examples";
            cv[k++] = examples;
        }
        if (a.fault_role == r) {
            cv[k++] = "--die-after-messages";
            cv[k++] = fault_n;
            cv[k++] = "--fault-mode";
            cv[k++] = mode_arg[a.fault_mode];
        }
        cv[k] = NULL;
        pid[r] = fork();
        if (pid[r] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the launcher */
            if (getppid() != parent) _exit(1);
            if (r == a.out_party) dup2(pfd[1], STDOUT_FILENO);
            if (kfd[r] == KEY_FD) (void)fcntl(KEY_FD, F_SETFD, 0);
            else if (dup2(kfd[r], KEY_FD) < 0) _exit(126);
            execv(exe, (char *const *)cv);
            fprintf(stderr, "error: launch: exec %s: %s\n", exe, strerror(errno));
            _exit(127);
        }
        free(cv);
        close(kfd[r]);
        kfd[r] = -1;
        if (pid[r] < 0) {
            fprintf(stderr, "error: launch: fork: %s\n", strerror(errno));
            for (int q = 0; q < r; q++) kill(pid[q], SIGKILL);
            for (int q = 0; q < r; q++) waitpid(pid[q], NULL, 0);
            for (int q = r + 1; q < 3; q++) close(kfd[q]);
            close(pfd[0]);
            close(pfd[1]);
            pargs_free(&a);
            return 1;
        }
    }
    close(pfd[1]);

    /* Collect P0's output and reap; a party outliving a failed one by LAUNCH_GRACE_S is killed. */
    char *obuf = NULL;
    size_t olen = 0, ocap = 0;
    int pipe_open = 1, done[3] = {0}, st[3] = {0}, killed[3] = {0};
    int64_t end[3] = {0}, kill_at = INT64_MAX;
    while (pipe_open || !(done[0] && done[1] && done[2])) {
        if (pipe_open) {
            struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
            if (poll(&pf, 1, 20) > 0) {
                if (olen + 4096 > ocap) {
                    ocap = ocap ? 2 * ocap : 8192;
                    char *nb = realloc(obuf, ocap);
                    CHECK(nb != NULL, "out of memory");
                    obuf = nb;
                }
                ssize_t n = read(pfd[0], obuf + olen, ocap - olen);
                if (n > 0) olen += (size_t)n;
                else if (n == 0 || (errno != EINTR && errno != EAGAIN)) pipe_open = 0;
            }
        } else {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
        int64_t now = rt_mono_ns();
        for (int r = 0; r < 3; r++) {
            if (done[r]) continue;
            int s;
            pid_t w = waitpid(pid[r], &s, WNOHANG);
            if (w == pid[r]) {
                done[r] = 1;
                st[r] = s;
                end[r] = now - t0;
                if (!(WIFEXITED(s) && WEXITSTATUS(s) == 0) && kill_at == INT64_MAX)
                    kill_at = now + (int64_t)LAUNCH_GRACE_S * 1000000000LL;
            }
        }
        if (now >= kill_at)
            for (int r = 0; r < 3; r++)
                if (!done[r] && !killed[r]) {
                    kill(pid[r], SIGKILL);
                    killed[r] = 1;
                }
    }
    close(pfd[0]);
    int ok = 1;
    for (int r = 0; r < 3; r++) ok &= WIFEXITED(st[r]) && WEXITSTATUS(st[r]) == 0;
    rc = 0;
    if (ok) {
        xp_out o;
        if (xp_out_open(&o, a.out) != 0) rc = 1;
        else {
            if (olen) fwrite(obuf, 1, olen, o.f);
            if (xp_out_close(&o) != 0) rc = 1;
        }
    } else {
        fprintf(stderr, "error: launch: %s %s failed, no result (P0 %s, P1 %s, dealer %s):\n", a.infer ? "infer" : a.op->name,
                a.infer ? a.m.name : a.s.text, addr[0], addr[1], addr[2]);
        for (int r = 0; r < 3; r++) {
            char d[96];
            describe_status(d, sizeof d, st[r]);
            fprintf(stderr, "  %-2s %s after %.3f s%s\n", net_party_names[r], d, end[r] * 1e-9,
                    killed[r] ? " (killed by the launcher: it outlived a failed party)" : "");
        }
        rc = 1;
    }
    free(obuf);
    pargs_free(&a);
    return rc;
}
