# Cross-compiling a fully static henge-pi for every 32-bit Raspberry Pi, the ARMv6 Pi
# Zero, Zero W and Pi 1 included: Debian's armel compiler and libraries (ARMv5TE code
# with soft-float calls, which an ARM1176 runs) from a sysroot that
# scripts/armel-sysroot.sh makes, linked statically (HENGE_STATIC), so the binary needs
# nothing of the board's userland. Give the sysroot as -DHENGE_ARMEL_SYSROOT=DIR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv6l)
set(CMAKE_C_COMPILER arm-linux-gnueabi-gcc)
# try_compile projects re-read this file; pass the setting on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HENGE_ARMEL_SYSROOT)
if(NOT HENGE_ARMEL_SYSROOT)
  message(FATAL_ERROR "set HENGE_ARMEL_SYSROOT to an armel sysroot (scripts/armel-sysroot.sh)")
endif()
set(CMAKE_SYSROOT ${HENGE_ARMEL_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(HENGE_STATIC ON CACHE BOOL "Link henge-pi statically" FORCE)
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${HENGE_ARMEL_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR} "${HENGE_ARMEL_SYSROOT}/usr/lib/arm-linux-gnueabi/pkgconfig:${HENGE_ARMEL_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
