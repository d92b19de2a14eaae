// asio.hpp: the one way ordo includes Boost.Asio. Include this instead of <boost/asio.hpp>.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>; with
// -std=c++20 on g++ 12 that fails to compile unless something included <utility> first, so the
// error comes and goes with include order (toolchain.md §4 pitfall 1, chriskohlhoff/asio#944).
// Including <utility> here first makes it deterministic. Include it before any Boost.Process
// header too, since those pull in parts of asio.
#pragma once

#include <utility>  // must precede boost/asio (see above)

#include <boost/asio.hpp>
