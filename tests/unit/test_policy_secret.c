/*
 * Tests for lib/policy_secret.c: the escrow file of set_password and the
 * key file of breakglass (owner, mode, symlink, content; never the secret).
 */
#include "policy_unit.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

/*
 * Escrow files: mode, type, symlink, content; the secret text never in an
 * error. check_owner=1 needs root (the policy file must be root's too).
 */
static void
t_escrow(void **s)
{
	static const char *const good[] = {
		HASH6 "\n",
		HASH6,
		"$6$rounds=5000$abcdefgh$D7W7qyozKBT.t6FD3DVYHvADbIO0eSyI4.p20LaEU"
		    "jro8PqTGYYo/EQcuNjhFbzo9Yg5ir1KIEqFY/yJpgFph0\n",
		"$y$j9T$F5Jx5fExrKuPp53xLKQ..0$P/VLwqURfP8soQNi89hgdEkqr234u0p3eIv"
		    "iQMAlft8\n",
		"$2b$12$6u1ezYPmcU6TVznhB95mlej0TE1EyH9j3v1GHY25Zl.qsnB9lfkjO\n",
		"$7$CU..../....abcdefghijklmnop$HGqqwmSOvSe.xhCn7qqy2pydXhCwdkuM.bb"
		    "6BMJGMo/\n",
	};
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "is empty" },
		{ "\n", "is empty" },
		{ HASH6 "\n" HASH6 "\n", "holds more than one line" },
		{ HASH6 "\n\n", "holds more than one line" },
		{ "Sup3rSecretPassw0rd\n", "does not look like a crypt(3) hash" },
		{ "$ecret$Passw0rd-ltjgWl6579-xxxx\n", "does not look like" },
		{ "$6$ltjgWl6579\n", "does not look like" },
		{ "$6$$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4\n", "does not look like" },
		{ "$6$salt$ltjgWl6579 with spaces in it\n", "does not look like" },
		{ "$6$salt$ltjgWl6579\n", "does not look like" },	/* short */
		{ "$1$abcdefgh$ltjgWl6579NluT/Vi1nwEv\n", "does not look like" },
		{ "!$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZa\n",
		    "does not look like" },
		{ "ltjgWl6579abcdefghijklmn\r\n", "does not look like" },
		{ "$6$rounds=x$salt$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4\n",
		    "does not look like" },
	};
	static const char body[] = "name = \"e\"; on = \"user_failures\";\n"
	    "actions = (\n { do = \"set_password\";\n escrow = \"@ESCROW@\"; } );\n";
	static const mode_t badmodes[] = { 0640, 0604, 0644, 0610, 0601, 0660 };
	struct policy_set set;
	char want[700], link[600], err[1024], *t;
	struct passwd *pw;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		write_mode(escrow, good[i], 0600);
		expect_ok(body, &set, 1);
		assert_string_equal(set.p[0].actions[0].escrow, escrow);
		policy_set_free(&set);
	}
	write_mode(escrow, HASH6 "\n", 0400);
	expect_ok(body, &set, 1);
	policy_set_free(&set);
	if (geteuid() == 0) {
		/* root reads it all the same */
		assert_int_equal(chmod(escrow, 0), 0);
		expect_ok(body, &set, 1);
		policy_set_free(&set);
	}
	for (i = 0; i < sizeof(badmodes) / sizeof(badmodes[0]); i++) {
		write_mode(escrow, HASH6 "\n", badmodes[i]);
		snprintf(want, sizeof(want), "action 1 (set_password): "
		    "escrow %s: mode %04o gives group or other access (want 0600 "
		    "or 0400)", escrow, (unsigned int)badmodes[i]);
		expect_err(body, 5, want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_mode(escrow, bad[i].text, 0600);
		snprintf(want, sizeof(want), "escrow %s: %s", escrow, bad[i].why);
		expect_err(body, 5, want);
	}
	/* a NUL byte, written by hand */
	{
		int fd = open(escrow, O_WRONLY | O_TRUNC);

		assert_true(fd >= 0);
		static const char nul[] = "$6$ab\0cd$ltjgWl6579NluT/Vi1nwEv\n";

		assert_int_equal(write(fd, nul, sizeof(nul) - 1),
		    (ssize_t)sizeof(nul) - 1);
		close(fd);
	}
	snprintf(want, sizeof(want), "escrow %s: contains a NUL byte", escrow);
	expect_err(body, 5, want);
	/* too large */
	t = malloc(5000);
	assert_non_null(t);
	memset(t, 'a', 4999);
	t[4999] = '\0';
	write_mode(escrow, t, 0600);
	free(t);
	expect_err(body, 5, "larger than 4096 bytes");
	/* a symlink to a good file is refused; so are a directory and nothing */
	write_mode(escrow, HASH6 "\n", 0600);
	snprintf(link, sizeof(link), "%s/link.hash", tdir);
	assert_int_equal(symlink(escrow, link), 0);
	t = subst(body, "@ESCROW@", link);
	snprintf(want, sizeof(want), "escrow %s: is a symbolic link", link);
	expect_err(t, 5, want);
	free(t);
	t = subst(body, "@ESCROW@", tdir);
	expect_err(t, 5, "not a regular file");
	free(t);
	t = subst(body, "@ESCROW@", "/nonexistent/alice.hash");
	expect_err(t, 5, "escrow /nonexistent/alice.hash: open: No such file");
	free(t);
	/* a long path is cut at 200 bytes in the message */
	memset(link, 'a', 250);
	memcpy(link, "/nonexistent/", 13);
	link[250] = '\0';
	t = subst(body, "@ESCROW@", link);
	link[200] = '\0';
	snprintf(want, sizeof(want), "escrow %s...: open: No such file", link);
	expect_err(t, 5, want);
	free(t);

	/* owner: needs root to make a file someone else's */
	if (geteuid() != 0) {
		fprintf(stderr, "not root: owner check of the escrow skipped\n");
		return;
	}
	t = wrap(body);
	write_mode(ppath, t, 0600);
	free(t);
	memset(&set, 0, sizeof(set));
	assert_int_equal(policy_load_file(&set, ppath, 1, err, sizeof(err)), 0);
	policy_set_free(&set);
	pw = getpwnam("nobody");
	assert_non_null(pw);
	assert_int_equal(chown(escrow, pw->pw_uid, 0), 0);
	assert_int_equal(policy_load_file(&set, ppath, 1, err, sizeof(err)), -1);
	want_err("escrow owner", err, ppath, 5, "(nobody), not root");
	policy_set_free(&set);
	/* without check_owner only the owner is not checked */
	assert_int_equal(policy_load_file(&set, ppath, 0, err, sizeof(err)), 0);
	policy_set_free(&set);
	assert_int_equal(chmod(escrow, 0640), 0);
	assert_int_equal(policy_load_file(&set, ppath, 0, err, sizeof(err)), -1);
	policy_set_free(&set);
	assert_int_equal(chown(escrow, 0, 0), 0);
}

/* The breakglass key file. */
static void
t_pubkeys(void **s)
{
	static const char rsa[] = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC22Sv"
	    "Ag2IgwQJc+M9zdQVj+BvtFWXbBWi9rFJZZMMY4wRiPgcqGcoHblV8MuaiasDfGt0O+"
	    "BgaeVqL8V6WozpSfIR2JD1U3s04JnIh+UMahbU3+3NtnY1y4Ezoi6c8kS6qjOWnyaq"
	    "RiRGyqYdOU0IygQzRBzSTWVlcOPBDtnFXiw== rsa";
	static const char ec[] = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlz"
	    "dHAyNTYAAAAIbmlzdHAyNTYAAABBBAP17PkuhthpE/KLluwRzrOU7tekZRsEsejEZS4"
	    "hnju1ZoaMXWmqEeYdSZ2dJ6OEy/za/Aadw+uHbxCWMAXilgE= ec";
	static const char body[] = "name = \"g\"; on = \"no_success\";\n"
	    "actions = (\n { do = \"breakglass\"; user = \"glass\";\n"
	    " key = \"@KEY@\"; } );\n";
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "no public key in it" },
		{ "# only a comment\n\n   \n", "no public key in it" },
		{ "ssh-dss AAAAB3NzaC1kc3MAAACBAP\n", "line 1 is not a public key "
		    "(TYPE BASE64 [comment])" },
		/* options belong in authorized_keys, not in a key file */
		{ "# ok\nfrom=\"10.0.0.1\" " KEY_ED "\n", "line 2 is not a public "
		    "key" },
		{ "ssh-ed25519\n", "line 1 is not a public key" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM13nzLX9X5Cuo*Se2goNKTRX"
		    "DNDsgE7dZkVfHS1TEYq\n", "line 1 is not a public key" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM13nzLX9X5CuoPSe2goNKTRX"
		    "DNDsgE7dZkVfHS1TEY\n", "line 1 is not a public key" },
		/* the blob of one type under the name of another */
		{ "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIM13nzLX9X5CuoPSe2goNKTRXDNDs"
		    "gE7dZkVfHS1TEYq\n", "line 1 is not a public key" },
		{ "ssh-ed25519 aGVsbG8gd29ybGQ=\n", "line 1 is not a public key" },
		{ KEY_ED "\nnot a key at all\n", "line 2 is not a public key" },
		{ "\tssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM13nzLX9X5CuoPSe2goNKT"
		    "RXDNDsgE7dZkVfHS1TEYq=\n", "line 1 is not a public key" },
	};
	static const mode_t badmodes[] = { 0664, 0646, 0666, 0620 };
	struct policy_set set;
	char want[700], link[600], text[2048], *t;
	size_t i;

	(void)s;
	expect_ok(body, &set, 1);
	assert_string_equal(set.p[0].actions[0].key, keyf);
	policy_set_free(&set);
	snprintf(text, sizeof(text), "# break-glass keys\n\n%s\n  %s\n%s",
	    KEY_ED, rsa, ec);
	write_mode(keyf, text, 0600);
	expect_ok(body, &set, 1);
	policy_set_free(&set);
	write_mode(keyf, KEY_ED, 0444);
	expect_ok(body, &set, 1);
	policy_set_free(&set);
	for (i = 0; i < sizeof(badmodes) / sizeof(badmodes[0]); i++) {
		write_mode(keyf, KEY_ED "\n", badmodes[i]);
		snprintf(want, sizeof(want), "action 1 (breakglass): key %s: "
		    "mode %04o is writable by group or other", keyf,
		    (unsigned int)badmodes[i]);
		expect_err(body, 5, want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_mode(keyf, bad[i].text, 0644);
		snprintf(want, sizeof(want), "key %s: %s", keyf, bad[i].why);
		expect_err(body, 5, want);
	}
	write_mode(keyf, KEY_ED "\n", 0644);
	snprintf(link, sizeof(link), "%s/link.pub", tdir);
	assert_int_equal(symlink(keyf, link), 0);
	t = subst(body, "@KEY@", link);
	snprintf(want, sizeof(want), "key %s: is a symbolic link", link);
	expect_err(t, 5, want);
	free(t);
	t = subst(body, "@KEY@", "/nonexistent.pub");
	expect_err(t, 5, "key /nonexistent.pub: open: No such file");
	free(t);
	if (geteuid() != 0) {
		fprintf(stderr, "not root: owner check of the key skipped\n");
		return;
	}
	t = wrap(body);
	write_mode(ppath, t, 0600);
	free(t);
	assert_int_equal(chown(keyf, 1, 1), 0);
	memset(&set, 0, sizeof(set));
	assert_int_equal(policy_load_file(&set, ppath, 1, text, sizeof(text)),
	    -1);
	want_err("key owner", text, ppath, 5, "owned by uid 1");
	policy_set_free(&set);
	assert_int_equal(chown(keyf, 0, 0), 0);
	assert_int_equal(policy_load_file(&set, ppath, 1, text, sizeof(text)), 0);
	policy_set_free(&set);
}

int
policy_secret_tests(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_escrow, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_pubkeys, pu_setup,
		    pu_teardown),
	};

	return cmocka_run_group_tests_name("policy_secret", t, NULL, NULL);
}
