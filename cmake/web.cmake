# The browser build (emcmake; scripts/web drives it): the same core and viewer sources compiled
# to WebAssembly, plus src/web (the page's glue). Third-party libraries come built for wasm from
# scripts/web's cache: FERRO_WEB_SDL2, FERRO_WEB_GSL, FERRO_WEB_FFTW are their install prefixes.
foreach(v FERRO_WEB_SDL2 FERRO_WEB_GSL FERRO_WEB_FFTW)
  if(NOT ${v})
    message(FATAL_ERROR "${v} is not set: run scripts/web, which builds and passes it")
  endif()
endforeach()

# Header-only host libraries (cglm, stb) without the rest of /usr/include (glibc's headers must
# not shadow emscripten's).
set(WEB_HOST_INC ${CMAKE_BINARY_DIR}/host-include)
file(MAKE_DIRECTORY ${WEB_HOST_INC})
file(CREATE_LINK /usr/include/cglm ${WEB_HOST_INC}/cglm SYMBOLIC)

# -pthread: the simulation runs in its own thread as on the desktop (simthread.c), which needs
# SharedArrayBuffer, i.e. a cross-origin isolated page. FERRO_WEB_THREADS=OFF builds the page's
# other variant, ferroviz-nothreads.js/.wasm, for pages that are not isolated (most static
# hosts): no -pthread, the simulation within a budget per frame of the main loop
# (simthread_run); GSL's and FFTW's -pthread objects link into it (neither has thread-local
# data), SDL2 is its own build without threads (scripts/web). -msimd128: WebAssembly SIMD for the
# vectorisable loops (#pragma omp simd, honoured through -fopenmp-simd; no OpenMP runtime).
# -Wno-pass-failed: clang reports a simd loop it leaves scalar for wasm (gather-heavy loops in
# stokes_fast_real.c); the loop stays correct, and GCC on the desktop does not warn.
option(FERRO_WEB_THREADS "The page with the simulation thread (cross-origin isolated)" ON)
set(WEB_CFLAGS -O3 -msimd128 -fopenmp-simd -Wno-pass-failed)
if(FERRO_WEB_THREADS)
  list(APPEND WEB_CFLAGS -pthread)
  set(WEB_LINK -pthread -sPTHREAD_POOL_SIZE=2) # a worker ready for the thread before main runs
  set(WEB_NAME ferroviz)
else()
  set(WEB_LINK)
  set(WEB_NAME ferroviz-nothreads)
endif()
add_compile_definitions(FERRO_SOURCE_DIR="/ferroviz") # where the preloaded files are

file(GLOB FERRO_CORE_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/core/*.c)
add_library(ferro STATIC ${FERRO_CORE_SRC})
target_compile_options(ferro PRIVATE ${WEB_CFLAGS})
target_include_directories(ferro PUBLIC ${CMAKE_SOURCE_DIR}/include
                           PRIVATE ${CMAKE_SOURCE_DIR}/src/core ${CMAKE_SOURCE_DIR}/src/web/compat)
target_include_directories(ferro SYSTEM PUBLIC ${FERRO_WEB_GSL}/include ${FERRO_WEB_FFTW}/include)

file(GLOB FERRO_VIZ_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/viz/*.c ${CMAKE_SOURCE_DIR}/src/web/*.c)
# the desktop's main loop and window: src/web/main_web.c and window_web.c take their place
list(REMOVE_ITEM FERRO_VIZ_SRC ${CMAKE_SOURCE_DIR}/src/viz/main.c ${CMAKE_SOURCE_DIR}/src/viz/window.c)
add_executable(ferroviz ${FERRO_VIZ_SRC})
target_compile_options(ferroviz PRIVATE ${WEB_CFLAGS})
target_include_directories(ferroviz PRIVATE ${CMAKE_SOURCE_DIR}/src/viz ${CMAKE_SOURCE_DIR}/src/web
                           ${CMAKE_SOURCE_DIR}/src/web/compat)
target_include_directories(ferroviz SYSTEM PRIVATE ${FERRO_WEB_SDL2}/include ${WEB_HOST_INC}
                           /usr/include/stb)
target_link_libraries(ferroviz PRIVATE ferro ${FERRO_WEB_SDL2}/lib/libSDL2.a
                      ${FERRO_WEB_GSL}/lib/libgsl.a ${FERRO_WEB_FFTW}/lib/libfftw3.a)

# The files the viewer reads at run time, at the paths it looks for them (FERRO_SOURCE_DIR).
set(WEB_FONT /usr/share/fonts/truetype/dejavu)
set(WEB_FILES # SHELL: keeps CMake from merging the repeated --preload-file
  "SHELL:--preload-file ${CMAKE_SOURCE_DIR}/shaders@/ferroviz/shaders"
  "SHELL:--preload-file ${CMAKE_SOURCE_DIR}/assets@/ferroviz/assets"
  "SHELL:--preload-file ${WEB_FONT}/DejaVuSansMono.ttf@${WEB_FONT}/DejaVuSansMono.ttf"
  "SHELL:--preload-file ${WEB_FONT}/DejaVuSans.ttf@${WEB_FONT}/DejaVuSans.ttf")
# WebGL 2 = OpenGL ES 3.0.
target_link_options(ferroviz PRIVATE -O3 ${WEB_LINK} -sMIN_WEBGL_VERSION=2 -sMAX_WEBGL_VERSION=2
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=134217728 -sTOTAL_STACK=1048576
  -sEXIT_RUNTIME=1 -sEXPORTED_RUNTIME_METHODS=FS,callMain ${WEB_FILES})
set_target_properties(ferroviz PROPERTIES SUFFIX ".js" OUTPUT_NAME ${WEB_NAME})
