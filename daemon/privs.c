#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"
#include "util.h"

int
privs_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (strcmp(user, "root") == 0)
			return 0;
		log_warnx("daemon.user \"%s\" does not exist: create it "
		    "(useradd --system --home-dir /var/lib/tramon --shell "
		    "/usr/sbin/nologin %s) or set daemon.user", user, user);
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_uid == geteuid())
		return 0;	/* nothing to switch to */
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int
chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if ((st->st_uid != chown_uid || st->st_gid != chown_gid) &&
	    lchown(path, chown_uid, chown_gid) == -1)
		log_warn("chown %s", path);
	return 0;
}

void
privs_chown_tree(const char *path, uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1 || geteuid() != 0)
		return;
	chown_uid = uid;
	chown_gid = gid;
	nftw(path, chown_one, 32, FTW_PHYS | FTW_MOUNT);
}

static void
drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		fatal("cannot clear ambient capabilities");
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatal("cannot drop capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
}

void
privs_drop(uid_t uid, gid_t gid)
{
	if (uid != (uid_t)-1) {
		if (setgroups(1, &gid) == -1)
			fatal("setgroups");
		if (setresgid(gid, gid, gid) == -1)
			fatal("setresgid");
		if (setresuid(uid, uid, uid) == -1)
			fatal("setresuid");
		if (setuid(0) != -1 || seteuid(0) != -1)
			fatalx("could regain root after dropping it");
		log_debug("running as uid %ld, gid %ld", (long)uid, (long)gid);
	}
	if (geteuid() != 0)
		drop_capabilities();
	else
		log_warnx("running as root: set daemon.user to an "
		    "unprivileged user");
}

int
pidfile_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char buf[32] = "";

	if (fd == -1) {
		log_warn("pid file %s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_warnx("tramond is already running (pid %s, %s)",
		    buf[0] ? buf : "?", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}
