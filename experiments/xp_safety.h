/* xp_safety.h -- silent failures of private inference (issue 21): the truncation oracle's findings in
 * words, the observed failure rate's confidence interval, and the report's safety section. */
#ifndef XP_SAFETY_H
#define XP_SAFETY_H

#include <stddef.h>
#include <stdio.h>

#include "../models/tfm_train.h"
#include "../protocols/mpc_audit.h"

/* A logit error beyond this (in real units) is a catastrophic error: fixed-point and approximation
 * errors of the accuracy pipeline's models stay below about 1e-1, while a truncation wrap is off by
 * about 2^(64-2f) = 2^32 before the layers after it shrink it. */
#define XP_CATASTROPHIC_LOGIT_ERR 10.0

/* Clopper-Pearson (exact binomial) interval for k failures in n trials at confidence `conf` (0.95):
 * bisection on GSL's binomial CDF (its inverse beta does not converge for large n and tiny rates). */
void xp_clopper_pearson(size_t k, size_t n, double conf, double *lo, double *hi);

/* "layer0/ffn1/matmul" for an oracle event's tag stack (model tags by sbert_tag_name, protocol tags by
 * mpc_tag_name; "?" when empty). */
void xp_audit_where(char *buf, size_t len, const mpc_audit_event *e);


/* The report's derive step for the section on silent failures: facts safety.* (and have.safety.*)
 * from DIR/safety_eval.csv, safety_real.csv and safety_latency.csv (scripts/safety.sh); a missing file
 * leaves its have.* fact 0. */
struct xp_facts;
void xp_derive_safety(struct xp_facts *F, const char *dir);

/* n random inputs for a stress run, shaped like `like` (T tokens): per sequence a length uniform in
 * [3, T], like's first token ([CLS]) first and the last unmasked token of like's first sequence
 * ([SEP]) last, token ids uniform over [0, V) in between, padding after (mask 0, id 0); labels 0.
 * Deterministic for the seed. Free with tfm_encoded_free. */
void xp_stress_inputs(tfm_encoded *out, const tfm_encoded *like, size_t n, int V, uint64_t seed);

#endif
