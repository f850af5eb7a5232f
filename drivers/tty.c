#include "drivers/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static const struct {
	int64_t baud;
	speed_t speed;
} speeds[] = {
	{50, B50}, {75, B75}, {110, B110}, {134, B134}, {150, B150}, {200, B200}, {300, B300},
	{600, B600}, {1200, B1200}, {1800, B1800}, {2400, B2400}, {4800, B4800}, {9600, B9600},
	{19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400},
	{460800, B460800}, {500000, B500000}, {576000, B576000}, {921600, B921600},
	{1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000}, {2000000, B2000000},
	{2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
};

static bool tty_speed(int64_t baud, speed_t *out)
{
	for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
		if (speeds[i].baud == baud) {
			*out = speeds[i].speed;
			return true;
		}
	return false;
}

bool tty_baud_supported(int64_t baud)
{
	speed_t s;
	return tty_speed(baud, &s);
}

int tty_open(const char *path, const struct tty_settings *ts, char *err, size_t errlen)
{
	struct termios tio;
	speed_t speed;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!isatty(fd)) {
		snprintf(err, errlen, "%s is not a terminal device", path);
		goto fail;
	}
	/* Another process reading the same scanner would steal scans. */
	if (ioctl(fd, TIOCEXCL) < 0) {
		snprintf(err, errlen, "cannot get exclusive access to %s: %s", path, strerror(errno));
		goto fail;
	}
	if (tcgetattr(fd, &tio) < 0) {
		snprintf(err, errlen, "cannot read settings of %s: %s", path, strerror(errno));
		goto fail;
	}
	cfmakeraw(&tio);
	if (!tty_speed(ts->baud, &speed)) {
		snprintf(err, errlen, "unsupported baud rate %lld", (long long)ts->baud);
		goto fail;
	}
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	tio.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	tio.c_cflag |= CREAD | CLOCAL;
	switch (ts->data_bits) {
	case 5: tio.c_cflag |= CS5; break;
	case 6: tio.c_cflag |= CS6; break;
	case 7: tio.c_cflag |= CS7; break;
	default: tio.c_cflag |= CS8; break;
	}
	if (ts->parity == 'E')
		tio.c_cflag |= PARENB;
	else if (ts->parity == 'O')
		tio.c_cflag |= PARENB | PARODD;
	if (ts->stop_bits == 2)
		tio.c_cflag |= CSTOPB;
	tio.c_iflag &= ~(IXON | IXOFF | IXANY);
	if (strcmp(ts->flow, "rtscts") == 0)
		tio.c_cflag |= CRTSCTS;
	else if (strcmp(ts->flow, "xonxoff") == 0)
		tio.c_iflag |= IXON | IXOFF;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		snprintf(err, errlen, "cannot configure %s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}
