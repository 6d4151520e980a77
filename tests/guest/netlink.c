/* Interfaces as programs find them: getifaddrs (netlink RTM_GETLINK/RTM_GETADDR dumps in musl and glibc), a
   raw RTM_GETLINK dump, if_nametoindex/if_indextoname, the SIOCGIF* ioctls and SIOCGIFCONF, and netlink port
   ids.  Only the loopback device is shown: the host may have more, the machine has only lo. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include "net_util.h"

static void show_ifaddrs(void)
{
    struct ifaddrs *list, *i;
    if (getifaddrs(&list) < 0) {
        say("getifaddrs %s\n", errname(errno));
        return;
    }
    for (i = list; i; i = i->ifa_next) {
        if (strcmp(i->ifa_name, "lo") != 0)
            continue;
        char ip[64] = "-", mask[64] = "-";
        int fam = i->ifa_addr ? i->ifa_addr->sa_family : -1;
        if (fam == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof ip);
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, mask, sizeof mask);
        } else if (fam == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, ip, sizeof ip);
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr, mask, sizeof mask);
        }
        say("ifaddrs %s family %d flags %#x addr %s mask %s\n", i->ifa_name, fam == AF_PACKET ? 17 : fam,
            i->ifa_flags, ip, mask);
    }
    freeifaddrs(list);
}

static void dump_links(void)
{
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct { struct nlmsghdr h; struct ifinfomsg i; } req = {
        .h = {.nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
              .nlmsg_seq = 42},
        .i = {.ifi_family = AF_UNSPEC}};
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    TRYV(sendto(s, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel));
    struct sockaddr_nl me;
    socklen_t len = sizeof me;
    getsockname(s, (struct sockaddr *)&me, &len);
    say("netlink name len %d family %d port is pid %d\n", (int)len, me.nl_family, me.nl_pid == (unsigned)getpid());
    int done = 0;
    while (!done) {
        static char buf[65536];
        struct sockaddr_nl from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
        if (n <= 0) {
            say("recv %s\n", errname(errno));
            break;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                say("done seq %u from pid %u len %d\n", h->nlmsg_seq, from.nl_pid, (int)flen);
                done = 1;
                break;
            }
            if (h->nlmsg_type != RTM_NEWLINK)
                continue;
            struct ifinfomsg *ifi = NLMSG_DATA(h);
            if (ifi->ifi_index != 1)
                continue;
            say("link index %d type %d flags %#x multi %d\n", ifi->ifi_index, ifi->ifi_type, ifi->ifi_flags,
                !!(h->nlmsg_flags & NLM_F_MULTI));
            int alen = IFLA_PAYLOAD(h);
            for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == IFLA_IFNAME)
                    say("  name %s\n", (char *)RTA_DATA(a));
                else if (a->rta_type == IFLA_MTU)
                    say("  mtu %u\n", *(unsigned *)RTA_DATA(a));
                else if (a->rta_type == IFLA_ADDRESS)
                    say("  address len %d\n", (int)RTA_PAYLOAD(a));
            }
        }
    }
    /* one device by index: there is no device 999 */
    struct { struct nlmsghdr h; struct ifinfomsg i; } bad = {
        .h = {.nlmsg_len = sizeof bad, .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 7},
        .i = {.ifi_family = AF_UNSPEC, .ifi_index = 999}};
    TRYV(send(s, &bad, sizeof bad, 0));
    char buf[256];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (n > 0)
        say("reply type %d seq %u error %s\n", h->nlmsg_type, h->nlmsg_seq,
            errname(-((struct nlmsgerr *)NLMSG_DATA(h))->error));
    int t = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct sockaddr_nl take = {.nl_family = AF_NETLINK, .nl_pid = getpid()};
    TRY(bind(t, (struct sockaddr *)&take, sizeof take));
    take.nl_pid = 0;
    TRY(bind(t, (struct sockaddr *)&take, sizeof take));
    len = sizeof me;
    getsockname(t, (struct sockaddr *)&me, &len);
    say("second socket's port is not the pid %d\n", me.nl_pid != (unsigned)getpid());
    close(t);
    close(s);
    TRY(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
    TRY(socket(AF_NETLINK, SOCK_DGRAM, MAX_LINKS));
}

static void ioctls(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
    TRY(ioctl(s, SIOCGIFFLAGS, &r));
    say("flags %#x\n", r.ifr_flags & 0xffff);
    TRY(ioctl(s, SIOCGIFINDEX, &r));
    say("index %d\n", r.ifr_ifindex);
    TRY(ioctl(s, SIOCGIFMTU, &r));
    say("mtu %d\n", r.ifr_mtu);
    TRY(ioctl(s, SIOCGIFADDR, &r));
    say("addr %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
    TRY(ioctl(s, SIOCGIFNETMASK, &r));
    say("netmask %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_netmask)->sin_addr));
    TRY(ioctl(s, SIOCGIFHWADDR, &r));
    say("hwaddr family %d\n", r.ifr_hwaddr.sa_family);
    memset(&r, 0, sizeof r);
    r.ifr_ifindex = 1;
    TRY(ioctl(s, SIOCGIFNAME, &r));
    say("name of 1: %s\n", r.ifr_name);
    r.ifr_ifindex = 999;
    TRY(ioctl(s, SIOCGIFNAME, &r));
    strcpy(r.ifr_name, "nosuch0");
    TRY(ioctl(s, SIOCGIFFLAGS, &r));
    say("if_nametoindex lo %u nosuch %u\n", if_nametoindex("lo"), if_nametoindex("nosuch0"));
    char name[IF_NAMESIZE];
    say("if_indextoname 1 %s\n", if_indextoname(1, name) ? name : errname(errno));
    struct ifconf conf = {.ifc_len = 0, .ifc_buf = NULL};
    TRY(ioctl(s, SIOCGIFCONF, &conf));
    say("ifconf needs a multiple of ifreq %d\n", conf.ifc_len > 0 && conf.ifc_len % (int)sizeof(struct ifreq) == 0);
    struct ifreq reqs[16];
    conf.ifc_len = sizeof reqs;
    conf.ifc_req = reqs;
    TRY(ioctl(s, SIOCGIFCONF, &conf));
    for (int i = 0; i < conf.ifc_len / (int)sizeof(struct ifreq); i++)
        if (strcmp(reqs[i].ifr_name, "lo") == 0)
            say("ifconf %s %s\n", reqs[i].ifr_name, inet_ntoa(((struct sockaddr_in *)&reqs[i].ifr_addr)->sin_addr));
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(r.ifr_name, "lo");
    TRY(ioctl(u, SIOCGIFINDEX, &r));
    close(u);
    close(s);
}

int main(void)
{
    show_ifaddrs();
    dump_links();
    ioctls();
    say("done\n");
    return 0;
}
