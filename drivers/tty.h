/* Serial line setup with termios: raw mode, speed, parity, data and stop
 * bits, flow control. Used by every serial driver. */
#ifndef DOCKSIDE_TTY_H
#define DOCKSIDE_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tty_settings {
	int64_t baud;
	char parity;         /* 'N', 'E', 'O' */
	int data_bits;       /* 5..8 */
	int stop_bits;       /* 1..2 */
	char flow[16];       /* none|rtscts|xonxoff */
};

/* Opens path non-blocking, exclusive (TIOCEXCL), raw, with settings.
 * Returns the fd, or -1 with a message in err. */
int tty_open(const char *path, const struct tty_settings *ts, char *err, size_t errlen);

/* true if baud is a speed termios knows. */
bool tty_baud_supported(int64_t baud);

#endif
