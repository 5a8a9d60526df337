# Cross-compiling for 32-bit Raspberry Pi OS (armhf) with Debian's cross compiler and a
# sysroot holding the armhf libraries (Debian 12's apt cannot add the armhf architecture
# beside amd64 here; scripts/armhf-sysroot.sh makes the sysroot with mmdebstrap).
# Give it as -DHENGE_ARMHF_SYSROOT=DIR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
# try_compile projects re-read this file; pass the setting on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HENGE_ARMHF_SYSROOT)
if(NOT HENGE_ARMHF_SYSROOT)
  message(FATAL_ERROR "set HENGE_ARMHF_SYSROOT to an armhf sysroot (scripts/armhf-sysroot.sh)")
endif()
set(CMAKE_SYSROOT ${HENGE_ARMHF_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${HENGE_ARMHF_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR} "${HENGE_ARMHF_SYSROOT}/usr/lib/arm-linux-gnueabihf/pkgconfig:${HENGE_ARMHF_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
