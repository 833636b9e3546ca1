// The bounded cache (common/lru_cache.hpp) behind the cuBLASLt plan cache: it never holds more
// than its capacity, drops the least recently used entry (finds count as uses), and agrees with a
// plain recency list on a long random sequence of finds and inserts.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/lru_cache.hpp"

BOOST_AUTO_TEST_SUITE(test_lru_cache)

using moelaw::LruCache;

BOOST_AUTO_TEST_CASE(evicts_the_least_recently_used) {
  LruCache<int, std::string> cache(3);
  cache.insert(1, "one");
  cache.insert(2, "two");
  cache.insert(3, "three");
  BOOST_TEST(cache.size() == 3u);
  BOOST_REQUIRE(cache.find(1));  // 1 is now the most recent: 2 is the oldest
  cache.insert(4, "four");
  BOOST_TEST(cache.size() == 3u);
  BOOST_TEST(!cache.contains(2));
  BOOST_TEST(cache.contains(1));
  BOOST_TEST(cache.contains(3));
  BOOST_TEST(*cache.find(4) == "four");
  cache.insert(5, "five");  // 3 is the oldest now
  BOOST_TEST(!cache.contains(3));
  BOOST_TEST(cache.evictions() == 2u);
  BOOST_TEST(cache.find(2) == nullptr);
}

BOOST_AUTO_TEST_CASE(insert_of_a_present_key_replaces_and_refreshes) {
  LruCache<int, int> cache(2);
  cache.insert(1, 10);
  cache.insert(2, 20);
  cache.insert(1, 11);  // replaces, and 1 becomes the most recent
  BOOST_TEST(cache.size() == 2u);
  BOOST_TEST(cache.evictions() == 0u);
  cache.insert(3, 30);
  BOOST_TEST(!cache.contains(2));
  BOOST_TEST(*cache.find(1) == 11);
}

BOOST_AUTO_TEST_CASE(contains_does_not_count_as_a_use) {
  LruCache<int, int> cache(2);
  cache.insert(1, 1);
  cache.insert(2, 2);
  BOOST_TEST(cache.contains(1));
  cache.insert(3, 3);
  BOOST_TEST(!cache.contains(1));
}

BOOST_AUTO_TEST_CASE(move_only_values_are_destroyed_on_eviction) {
  auto alive = std::make_shared<int>(0);
  struct Counted {
    std::shared_ptr<int> n;
    explicit Counted(std::shared_ptr<int> c) : n(std::move(c)) { ++*n; }
    ~Counted() { --*n; }
  };
  {
    LruCache<int, std::unique_ptr<Counted>> cache(4);
    for (int k = 0; k < 100; ++k) cache.insert(k, std::make_unique<Counted>(alive));
    BOOST_TEST(*alive == 4);  // no more than the capacity held, the rest freed
    BOOST_TEST(cache.evictions() == 96u);
  }
  BOOST_TEST(*alive == 0);
}

BOOST_AUTO_TEST_CASE(zero_capacity_is_refused) {
  BOOST_CHECK_THROW((LruCache<int, int>(0)), std::invalid_argument);
}

// A second implementation: keys in a vector, most recent first, searched linearly.
BOOST_AUTO_TEST_CASE(agrees_with_a_recency_list) {
  const size_t capacity = 7;
  LruCache<int, int> cache(capacity);
  std::vector<std::pair<int, int>> model;  // most recent first
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const int key = int(rng() % 16);
    auto it = std::find_if(model.begin(), model.end(), [&](const auto& e) { return e.first == key; });
    if (rng() % 2) {  // find
      int* got = cache.find(key);
      BOOST_REQUIRE_EQUAL(got != nullptr, it != model.end());
      if (it == model.end()) continue;
      BOOST_REQUIRE_EQUAL(*got, it->second);
      auto entry = *it;
      model.erase(it);
      model.insert(model.begin(), entry);
    } else {  // insert
      cache.insert(key, i);
      if (it != model.end()) model.erase(it);
      else if (model.size() == capacity) model.pop_back();
      model.insert(model.begin(), {key, i});
    }
    BOOST_REQUIRE_EQUAL(cache.size(), model.size());
  }
  for (int key = 0; key < 16; ++key) {
    const bool in_model =
        std::any_of(model.begin(), model.end(), [&](const auto& e) { return e.first == key; });
    BOOST_TEST(cache.contains(key) == in_model, "key " << key);
  }
}

BOOST_AUTO_TEST_SUITE_END()
