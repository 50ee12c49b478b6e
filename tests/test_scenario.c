/* fr_options_parse: defaults, both value forms, scenario files and their override by the
 * command line, the front end's extra options, and one-line errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ferro/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse(fr_options *o, char *err, const char *const *args)
{
    char *argv[64] = {"prog"};
    int argc = 1;
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    fr_options_default(o);
    return fr_options_parse(o, argc, argv, NULL, NULL, NULL, err, 512);
}
#define PARSE(o, err, ...) parse(o, err, (const char *const[]){__VA_ARGS__, NULL})

/* A scenario file in the temporary directory; path returned in buf. */
static const char *scenario(char *buf, size_t len, const char *text)
{
    snprintf(buf, len, "/tmp/test_scenario.%ld.sc", (long)getpid());
    FILE *f = fopen(buf, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return buf;
}

static void test_defaults(void **state)
{
    (void)state;
    fr_options o;
    char err[512];
    assert_int_equal(parse(&o, err, (const char *const[]){NULL}), 0);
    const fr_params d = fr_params_default();
    assert_int_equal(o.p.n, d.n);
    assert_true(o.p.phi == d.phi && o.p.eps == d.eps && o.p.dt == d.dt);
    assert_true(o.t_end == 1.0);
    assert_int_equal(o.every, 1);
    assert_int_equal(o.grid, 24);
    assert_int_equal(o.threads, 0);
    assert_string_equal(o.out, "");
}

static void test_values(void **state)
{
    (void)state;
    fr_options o;
    char err[512];
    assert_int_equal(PARSE(&o, err, "--n", "300", "--phi=0.1", "--eps", "1e-3", "--b", "0", "--H",
                           "1,-2,0.5", "--grad=-0.5", "--switch-off", "2", "--magnet",
                           "0,0,1@0,0,-3", "--t-end", "0", "--dt", "0.02", "--every", "3", "--seed",
                           "18446744073709551615", "--init", "aligned", "--no-interactions",
                           "--grid", "8", "--threads", "2", "--out", "a.csv"),
                     0);
    assert_int_equal(o.p.n, 300);
    assert_true(o.p.phi == 0.1 && o.p.eps == 1e-3 && o.p.b == 0.0);
    assert_true(o.p.field.H0[0] == 1.0 && o.p.field.H0[1] == -2.0 && o.p.field.H0[2] == 0.5);
    assert_true(o.p.field.grad_g == -0.5);
    assert_true(o.p.field.has_switch_off && o.p.field.t_off == 2.0);
    assert_true(o.p.field.has_magnet && o.p.field.magnet_m[2] == 1.0 &&
                o.p.field.magnet_p[2] == -3.0);
    assert_true(o.t_end == 0.0 && o.p.dt == 0.02);
    assert_int_equal(o.every, 3);
    assert_true(o.p.seed == UINT64_MAX);
    assert_int_equal(o.p.init, FR_INIT_ALIGNED);
    assert_int_equal(o.p.interactions, 0);
    assert_int_equal(o.grid, 8);
    assert_int_equal(o.threads, 2);
    assert_string_equal(o.out, "a.csv");
    assert_int_equal(PARSE(&o, err, "--aspect", "3", "--brownian", "0.5", "--sweep", "2,4"), 0);
    assert_true(o.p.aspect == 3.0 && o.p.brownian == 0.5);
    assert_true(o.p.field.sweep && o.p.field.sweep_H0 == 2.0 && o.p.field.sweep_period == 4.0);
    assert_int_equal(PARSE(&o, err, "--sweep", "2,4", "--sweep", "none"), 0);
    assert_false(o.p.field.sweep);
    /* The last occurrence wins; a negative number is a value, not an option. */
    assert_int_equal(PARSE(&o, err, "--n", "5", "--n", "7", "--grad", "-1"), 0);
    assert_int_equal(o.p.n, 7);
    assert_true(o.p.field.grad_g == -1.0);
}

static void test_rotating(void **state)
{
    (void)state;
    fr_options o;
    char err[512];
    assert_int_equal(PARSE(&o, err, "--rotating", "2,3", "--H", "1,0,0"), 0);
    assert_true(o.p.field.rotating && o.p.field.rot_H0 == 2.0 && o.p.field.rot_omega == 3.0);
    char path[256];
    scenario(path, sizeof path, "rotating = 2,3\n");
    assert_int_equal(PARSE(&o, err, "--H", "1,0,0", "--scenario", path), 0);
    assert_false(o.p.field.rotating); /* the command line's uniform H overrides the file */
    assert_true(o.p.field.H0[0] == 1.0);
    assert_int_equal(PARSE(&o, err, "--scenario", path), 0);
    assert_true(o.p.field.rotating);
    unlink(path);
}

static void test_scenario_file(void **state)
{
    (void)state;
    fr_options o;
    char err[512], path[256];
    scenario(path, sizeof path,
             "# comment\n\n  n = 123   # trailing comment\nphi=0.02\r\nH = 0,1,0\n"
             "interactions = 0\nout = run#1.csv\nrotating = 1.5 , 2\n");
    assert_int_equal(PARSE(&o, err, "--phi", "0.2", "--scenario", path), 0);
    assert_int_equal(o.p.n, 123);
    assert_true(o.p.phi == 0.2); /* command line wins though given before --scenario */
    assert_true(o.p.field.H0[1] == 1.0 && o.p.field.H0[2] == 0.0);
    assert_int_equal(o.p.interactions, 0);
    assert_string_equal(o.out, "run#1.csv");
    assert_true(o.p.field.rotating && o.p.field.rot_H0 == 1.5 && o.p.field.rot_omega == 2.0);
    assert_string_equal(o.scenario, path);
    assert_int_equal(PARSE(&o, err, "--scenario", path, "--interactions", "1"), 0);
    assert_int_equal(o.p.interactions, 1);

    scenario(path, sizeof path, "n = 10\n\nbogus = 1\n");
    assert_int_equal(PARSE(&o, err, "--scenario", path), -1);
    assert_non_null(strstr(err, "line 3: unknown key 'bogus'"));
    scenario(path, sizeof path, "eps = 0.1\nn = 10\n# eps = 0.3\n eps=0.2\n");
    assert_int_equal(PARSE(&o, err, "--scenario", path), -1);
    assert_non_null(strstr(err, "line 4: key 'eps' was already set on line 1"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(PARSE(&o, err, "--scenario", path, "--eps", "0.5"), -1); /* still the file's fault */
    scenario(path, sizeof path, "eps = inf\n");
    assert_int_equal(PARSE(&o, err, "--scenario", path), -1);
    assert_non_null(strstr(err, "line 1: eps: not a finite number 'inf'"));
    scenario(path, sizeof path, "help = 1\n");
    assert_int_equal(PARSE(&o, err, "--scenario", path), -1);
    assert_non_null(strstr(err, "line 1: key 'help' is for the command line only"));
    unlink(path);
    assert_int_equal(PARSE(&o, err, "--scenario", path), -1);
    assert_non_null(strstr(err, "cannot read: No such file or directory"));
}

static void test_errors(void **state)
{
    (void)state;
    fr_options o;
    char err[512];
    struct {
        const char *a, *b, *want;
    } cases[] = {
        {"--foo", NULL, "unknown option --foo"},
        {"--n", NULL, "--n: missing value"},
        {"--phi", "0.5", "--phi: value 0.5 out of range (0, 0.3]"},
        {"--eps", "nan", "--eps: not a finite number 'nan'"},
        {"--eps", "1 ", "--eps: not a number '1 '"},
        {"--H", "1,2", "--H: expected 3 comma-separated numbers"},
        {"--magnet", "1,0,0@0.2,0,0",
         "--magnet: position (0.2,0,0) is inside the cloud (|p| <= 1)"},
        {"--dt", "0", "--dt: value 0 out of range"},
        {"--t-end", "-1", "--t-end: value -1 out of range"},
        {"--every", "0", "--every: value 0 out of range"},
        {"--grid", "257", "--grid: value 257 out of range"},
        {"--init", "foo", "--init: unknown value 'foo'"},
        {"--c0", "9", "--c0: value 9 out of range (0, 1.2]"},
        {"--c0", "0.3", "phi: value 0.05 too large for c0 = 0.3"}, /* several parameters */
        {"--n", "99999999999", "--n: value 99999999999 out of range"},
        {"--eps", "1e-7", "--eps: value 1e-07 out of range [1e-06, 1e+12]"},
        {"--rotating", "1e3,1e6", "--rotating: field 1000 changing at 1e+06/time"},
        {"--sweep", "1e3,1e-6", "--sweep: field 1000 changing at"},
        {"--magnet", "0,0,20@1e200,0,0", "--magnet: position |p| = inf exceeds 1e6"},
        {"--switch-off", "-1", "--switch-off: time -1 out of range [0, inf)"},
        {"--n", "3\n", "--n: not an integer '3?'"}, /* a newline inside a value: one line */
        {"--aspect", "20", "--aspect: value 20 out of range [0.1, 10]"},
        {"--brownian", "-1", "--brownian: value -1 out of range"},
        {"--sweep", "1,0", "--sweep: period 0 out of range [1e-06, 1e+12]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int rc =
            cases[i].b ? PARSE(&o, err, cases[i].a, cases[i].b) : PARSE(&o, err, cases[i].a);
        assert_int_equal(rc, -1);
        if (!strstr(err, cases[i].want))
            fail_msg("%s %s: got '%s', want '%s'", cases[i].a, cases[i].b ? cases[i].b : "", err,
                     cases[i].want);
        assert_null(strchr(err, '\n'));
    }
    /* --help wins over any other problem. */
    assert_int_equal(PARSE(&o, err, "--foo", "--help"), 0);
    assert_true(o.help);
    assert_int_equal(PARSE(&o, err, "--version"), 0);
    assert_true(o.version);
}

typedef struct extra_ctx {
    int w, h, fullscreen;
} extra_ctx;

static int on_extra(void *ctx, const char *name, const char *value, char *err, size_t errlen)
{
    extra_ctx *c = ctx;
    if (!strcmp(name, "fullscreen")) {
        c->fullscreen = 1;
        return 0;
    }
    if (sscanf(value, "%dx%d", &c->w, &c->h) != 2) {
        snprintf(err, errlen, "expected WxH, got '%s'", value);
        return -1;
    }
    return 0;
}

static void test_extra(void **state)
{
    (void)state;
    const fr_extra_option extra[] = {{"size", 1}, {"fullscreen", 0}, {NULL, 0}};
    extra_ctx c = {0, 0, 0};
    fr_options o;
    char err[512], path[256];
    scenario(path, sizeof path, "size = 100x200\nfullscreen = 1\n");
    char *argv[] = {"prog", "--size=640x480", "--scenario", path, "--n", "10"};
    fr_options_default(&o);
    assert_int_equal(fr_options_parse(&o, 6, argv, extra, on_extra, &c, err, sizeof err), 0);
    assert_int_equal(c.w, 640); /* file first, then the command line */
    assert_int_equal(c.h, 480);
    assert_int_equal(c.fullscreen, 1);
    assert_int_equal(o.p.n, 10);
    char *bad[] = {"prog", "--size", "big"};
    assert_int_equal(fr_options_parse(&o, 3, bad, extra, on_extra, &c, err, sizeof err), -1);
    assert_string_equal(err, "--size: expected WxH, got 'big'");
    unlink(path);
}

static void test_usage(void **state)
{
    (void)state;
    const char *u = fr_options_usage();
    const char *names[] = {"--n ", "--phi", "--eps", "--b ", "--c0", "--H ", "--switch-off",
                           "--rotating", "--grad", "--magnet", "--sweep", "--t-end", "--dt",
                           "--every", "--seed", "--init", "--no-interactions", "--aspect",
                           "--brownian", "--out", "--particles-out", "--field-out", "--grid",
                           "--threads", "--scenario", "--help", "--version"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(u, names[i]))
            fail_msg("usage lacks %s", names[i]);
}


/* The table serves fr_options_set/fr_params_set (ferroviz's "set" names) and --help; the
 * ranges printed are the ones checked. */
static void test_table(void **state)
{
    (void)state;
    char err[512];
    fr_params p = fr_params_default();
    assert_int_equal(fr_params_set(&p, "eps", "0.5", err, sizeof err), 0);
    assert_true(p.eps == 0.5);
    assert_int_equal(fr_params_set(&p, "rotating", "2,3", err, sizeof err), 0);
    assert_true(p.field.rotating && p.field.rot_H0 == 2.0 && p.field.rot_omega == 3.0);
    assert_int_equal(fr_params_set(&p, "H", "0,1,0", err, sizeof err), 0);
    assert_false(p.field.rotating); /* a uniform field replaces the rotating one */
    assert_int_equal(fr_params_set(&p, "no-interactions", NULL, err, sizeof err), 0);
    assert_int_equal(p.interactions, 0);
    assert_int_equal(fr_params_set(&p, "out", "x.csv", err, sizeof err), -1); /* not physics */
    assert_int_equal(fr_params_set(&p, "eps", "x", err, sizeof err), -1);
    assert_string_equal(err, "eps: not a number 'x'");
    p.eps = 1e13; /* the type is checked by set, the range by validation */
    assert_int_equal(fr_params_validate(&p, err, sizeof err), -1);
    assert_string_equal(err, "eps: value 1e+13 out of range [1e-06, 1e+12]");
    double lo, hi;
    assert_int_equal(fr_params_range("eps", NULL, &lo, &hi), 0);
    assert_true(lo == 1e-6 && hi == 1e12);
    assert_int_equal(fr_params_range("rotating", "omega", &lo, &hi), 0);
    assert_true(lo == -1e6 && hi == 1e6);
    assert_int_equal(fr_params_range("nonsense", NULL, &lo, &hi), -1);
    /* every option of the table is in --help, and the limits print there */
    const char *u = fr_options_usage();
    size_t n = fr_options_count(), params = 0;
    for (size_t i = 0; i < n; i++) {
        fr_option_info info;
        assert_int_equal(fr_options_info(i, &info), 0);
        char want[64];
        snprintf(want, sizeof want, "--%s", info.name);
        if (!strstr(u, want))
            fail_msg("usage lacks %s", want);
        params += info.is_param;
    }
    assert_true(params >= 15);
    assert_int_equal(fr_options_info(n, &(fr_option_info){0}), -1);
    assert_non_null(strstr(u, "[1e-06, 1e+12]"));      /* eps */
    assert_non_null(strstr(u, "omega in [-1e+06, 1e+06]")); /* rotating */
    assert_non_null(strstr(u, "[0, 10000]"));           /* brownian */
}

/* Scenario files: CR-only and CRLF line ends, a NUL byte, /dev/zero, a directory. */
static void test_file_robust(void **state)
{
    (void)state;
    fr_options o;
    char err[512], path[256];
    const char *f = scenario(path, sizeof path, "# CR only\rn = 123\rphi = 0.1\r");
    assert_int_equal(PARSE(&o, err, "--scenario", f), 0);
    assert_int_equal(o.p.n, 123);
    assert_true(o.p.phi == 0.1);
    f = scenario(path, sizeof path, "n = 7\r\n\r\nphi = 0.2\r\n");
    assert_int_equal(PARSE(&o, err, "--scenario", f), 0);
    assert_int_equal(o.p.n, 7);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    static const char nul_line[] = "n = 5\nphi = 0.1\0x\n";
    fwrite(nul_line, 1, sizeof nul_line - 1, fp); /* the NUL inside, not the terminator */
    fclose(fp);
    assert_int_equal(PARSE(&o, err, "--scenario", path), -1);
    assert_non_null(strstr(err, "line 2 contains a NUL byte"));
    assert_int_equal(PARSE(&o, err, "--scenario", "/dev/zero"), -1);
    assert_non_null(strstr(err, "/dev/zero"));
    assert_int_equal(PARSE(&o, err, "--scenario", "/tmp"), -1);
    assert_non_null(strstr(err, "Is a directory"));
    /* a range error in the file names the file and line, also when the command line
     * overrides the key */
    f = scenario(path, sizeof path, "n = 5\neps = 0\n");
    assert_int_equal(PARSE(&o, err, "--scenario", f, "--eps", "1"), -1);
    assert_non_null(strstr(err, "line 2: eps: value 0 out of range"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_values),
        cmocka_unit_test(test_rotating), cmocka_unit_test(test_scenario_file),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_extra),
        cmocka_unit_test(test_usage),    cmocka_unit_test(test_table),
        cmocka_unit_test(test_file_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
