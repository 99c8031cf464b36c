# cmake -DFILE=<metainfo.xml> -DVERSION=<project version> -P CheckMetainfoVersion.cmake
# Fails unless the first (newest) <release> in the AppStream metainfo has the project version.
if(NOT FILE OR NOT VERSION)
  message(FATAL_ERROR "usage: cmake -DFILE=<metainfo.xml> -DVERSION=<x.y.z> -P CheckMetainfoVersion.cmake")
endif()
file(READ "${FILE}" text)
string(REGEX MATCH "<release[^>]*version=\"([^\"]*)\"" match "${text}")
if(NOT match)
  message(FATAL_ERROR "${FILE}: no <release version=\"...\"> element")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
  message(FATAL_ERROR "${FILE}: newest release is ${CMAKE_MATCH_1} but the project version is ${VERSION}: "
                      "add a <release version=\"${VERSION}\" date=\"YYYY-MM-DD\"> at the top of <releases>")
endif()
message(STATUS "metainfo release ${CMAKE_MATCH_1} matches the project version")
