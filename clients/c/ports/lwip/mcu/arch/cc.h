/* lwIP's platform header for the Cortex-M compile check (mcu_check.sh): a bare-metal
 * C library (picolibc), no OS. A board's SDK brings its own (the Pico SDK's). */
#ifndef HENGE_LWIP_MCU_ARCH_CC_H
#define HENGE_LWIP_MCU_ARCH_CC_H

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) \
  do {                          \
  } while (0)
typedef unsigned int sys_prot_t; /* SYS_LIGHTWEIGHT_PROT: the interrupt state saved */
#define LWIP_RAND() 4u           /* not called by henge_lwip.c; the board's RNG in a real build */

#endif
