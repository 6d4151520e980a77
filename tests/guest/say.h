/* say(): printf straight to fd 1 with write(2), one call per line, so output interleaves between processes the
 * same way natively and under pynix (stdio buffers would not). */
#pragma once
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((unused, format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = sizeof line - 1;
    if (n > 0)
        write(1, line, n);
}
