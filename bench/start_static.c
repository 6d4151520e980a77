/* start_static: a static program whose main returns 0 at once.
 *
 * Timed from the host, end to end (`pynix bench start_static`): what is left is the cost of starting and
 * ending a process under each runner -- for pynix its own start-up (Python, the kernel's boot, the ELF load,
 * the exit path), which is what a regression in the boot path moves.
 */
int main(void)
{
    return 0;
}
