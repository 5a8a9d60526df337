/* lwIP's options for henge on a Raspberry Pi Pico W: NO_SYS (one lwIP context, the
 * cyw43 driver's), TCP with DNS and DHCP, and altcp so the same code runs plain or over
 * TLS (HENGE_TLS). The memory is sized for two connections (the stream and an ack) and
 * a TLS handshake's records. */
#ifndef HENGE_PICO_W_LWIPOPTS_H
#define HENGE_PICO_W_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define SYS_LIGHTWEIGHT_PROT 1

/* Memory: lwIP's own heap and pools, no libc malloc. */
#define MEM_LIBC_MALLOC 0
#define MEM_ALIGNMENT 4
#ifdef HENGE_TLS
#define MEM_SIZE 32000 /* mbedTLS's records and handshake go through altcp's pbufs */
#else
#define MEM_SIZE 8000
#endif
#define MEMP_NUM_TCP_PCB 4 /* the stream, an ack, and one closing */
#define MEMP_NUM_TCP_SEG 32
#define MEMP_NUM_ARP_QUEUE 10
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2) /* henge's one timer, and a spare */
#define PBUF_POOL_SIZE 24

#define LWIP_IPV4 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 1
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_DHCP_DOES_ACD_CHECK 0

#define TCP_MSS 1460
#define TCP_WND (8 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_NETIF_TX_SINGLE_PBUF 1
#define LWIP_CHKSUM_ALGORITHM 3

/* henge_lwip.c uses altcp: TCP, or TLS through mbedTLS when HENGE_TLS is defined. */
#define LWIP_ALTCP 1
#ifdef HENGE_TLS
#define LWIP_ALTCP_TLS 1
#define LWIP_ALTCP_TLS_MBEDTLS 1
#endif

#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0

#endif
