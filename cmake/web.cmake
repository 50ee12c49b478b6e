# The browser build (emcmake; scripts/web drives it): the same core and viewer sources compiled
# to WebAssembly, plus src/web (the page's glue). Third-party libraries come built for wasm from
# scripts/web's cache: FERRO_WEB_SDL2 (and FERRO_WEB_SDL2_NOTHREADS), FERRO_WEB_GSL, FERRO_WEB_FFTW
# are their install prefixes.
foreach(v FERRO_WEB_SDL2 FERRO_WEB_SDL2_NOTHREADS FERRO_WEB_GSL FERRO_WEB_FFTW)
  if(NOT ${v})
    message(FATAL_ERROR "${v} is not set: run scripts/web, which builds and passes it")
  endif()
endforeach()

# Header-only host libraries (cglm, stb) without the rest of /usr/include (glibc's headers must
# not shadow emscripten's).
set(WEB_HOST_INC ${CMAKE_BINARY_DIR}/host-include)
file(MAKE_DIRECTORY ${WEB_HOST_INC})
file(CREATE_LINK /usr/include/cglm ${WEB_HOST_INC}/cglm SYMBOLIC)

# Two pages from one configure: ferroviz.js/.wasm with the simulation in its own thread as on
# the desktop (simthread.c; -pthread, which needs SharedArrayBuffer, i.e. a cross-origin
# isolated page), and ferroviz-nothreads.js/.wasm for pages that are not isolated (most static
# hosts): no -pthread, the simulation within a budget per frame of the main loop
# (simthread_run). Only src/viz and src/web are compiled twice (VIZ_SIM_INLINE follows
# -pthread); the core's -pthread objects serve both, as GSL's and FFTW's do: objects with wasm
# atomics run in a wasm without shared memory unless they keep thread-local data, which none of
# them does (tests/web checks that both pages compute the same numbers). SDL2 does (its pthread
# backend): FERRO_WEB_SDL2_NOTHREADS is SDL2 built without threads. -msimd128: WebAssembly SIMD
# for the vectorisable loops (#pragma omp simd, honoured through -fopenmp-simd; no OpenMP runtime).
# -Wno-pass-failed: clang reports a simd loop it leaves scalar for wasm (gather-heavy loops in
# stokes_fast_real.c); the loop stays correct, and GCC on the desktop does not warn.
set(WEB_CFLAGS -O3 -msimd128 -fopenmp-simd -Wno-pass-failed)
add_compile_definitions(FERRO_SOURCE_DIR="/ferroviz") # where the preloaded files are

file(GLOB FERRO_CORE_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/core/*.c)
add_library(ferro STATIC ${FERRO_CORE_SRC})
target_compile_options(ferro PRIVATE ${WEB_CFLAGS} -pthread)
target_include_directories(ferro PUBLIC ${CMAKE_SOURCE_DIR}/include
                           PRIVATE ${CMAKE_SOURCE_DIR}/src/core ${CMAKE_SOURCE_DIR}/src/web/compat)
target_include_directories(ferro SYSTEM PUBLIC ${FERRO_WEB_GSL}/include ${FERRO_WEB_FFTW}/include)

file(GLOB FERRO_VIZ_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/viz/*.c ${CMAKE_SOURCE_DIR}/src/web/*.c)
# the desktop's main loop and window: src/web/main_web.c and window_web.c take their place
list(REMOVE_ITEM FERRO_VIZ_SRC ${CMAKE_SOURCE_DIR}/src/viz/main.c ${CMAKE_SOURCE_DIR}/src/viz/window.c)

# The files the viewer reads at run time, at the paths it looks for them (FERRO_SOURCE_DIR).
set(WEB_FONT /usr/share/fonts/truetype/dejavu)
set(WEB_FILES # SHELL: keeps CMake from merging the repeated --preload-file
  "SHELL:--preload-file ${CMAKE_SOURCE_DIR}/shaders@/ferroviz/shaders"
  "SHELL:--preload-file ${CMAKE_SOURCE_DIR}/assets@/ferroviz/assets"
  "SHELL:--preload-file ${WEB_FONT}/DejaVuSansMono.ttf@${WEB_FONT}/DejaVuSansMono.ttf"
  "SHELL:--preload-file ${WEB_FONT}/DejaVuSans.ttf@${WEB_FONT}/DejaVuSans.ttf")

# web_page(TARGET SDL2 prefix [COMPILE flags...] [LINK flags...]): the viewer as
# TARGET.js/.wasm/.data.
function(web_page target)
  cmake_parse_arguments(W "" "SDL2" "COMPILE;LINK" ${ARGN})
  set(sdl2 ${W_SDL2})
  add_executable(${target} ${FERRO_VIZ_SRC})
  target_compile_options(${target} PRIVATE ${WEB_CFLAGS} ${W_COMPILE})
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/src/viz ${CMAKE_SOURCE_DIR}/src/web
                             ${CMAKE_SOURCE_DIR}/src/web/compat)
  target_include_directories(${target} SYSTEM PRIVATE ${sdl2}/include ${WEB_HOST_INC} /usr/include/stb)
  target_link_libraries(${target} PRIVATE ferro ${sdl2}/lib/libSDL2.a
                        ${FERRO_WEB_GSL}/lib/libgsl.a ${FERRO_WEB_FFTW}/lib/libfftw3.a)
  # WebGL 2 = OpenGL ES 3.0.
  target_link_options(${target} PRIVATE -O3 ${W_LINK} -sMIN_WEBGL_VERSION=2 -sMAX_WEBGL_VERSION=2
    -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=134217728 -sTOTAL_STACK=1048576
    -sEXIT_RUNTIME=1 -sEXPORTED_RUNTIME_METHODS=FS,callMain ${WEB_FILES})
  set_target_properties(${target} PROPERTIES SUFFIX ".js")
endfunction()
# with the simulation thread: a worker ready for it before main runs
web_page(ferroviz SDL2 ${FERRO_WEB_SDL2} COMPILE -pthread LINK -pthread -sPTHREAD_POOL_SIZE=2)
web_page(ferroviz-nothreads SDL2 ${FERRO_WEB_SDL2_NOTHREADS})
