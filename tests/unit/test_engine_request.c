/* Unit tests for src/engine/request.c: the OpenAI request validator (a table
 * of bodies and the status/type/message vLLM gives them) and the tokenizer
 * approximation. */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/request.h"

Test(engine_request, valid_requests) {
  struct {
    eng_api api;
    const char *body;
    int prompt, max_tokens;
    bool stream, usage, has_model;
  } cases[] = {
      /* the first seed's hey request: no model, no max_tokens */
      {ENG_API_CHAT, "{\"messages\": [{\"role\": \"user\", \"content\": \"Test it\"}]}", 10, -1, false, false,
       false},
      {ENG_API_CHAT,
       "{\"model\":\"qwen\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\","
       "\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]}],\"max_tokens\":512,\"temperature\":0.7,\"top_"
       "p\":0.9,"
       "\"seed\":10,\"stop\":[\"<|endoftext|>\",\"<|im_end|>\"]}",
       3 + 5 + 3 + 5 + 1, 512, false, false, true},
      {ENG_API_CHAT,
       "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_completion_tokens\":7,\"max_tokens\":99,"
       "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
       9, 7, true, true, false},
      {ENG_API_CHAT,
       "{\"messages\":[{\"role\":\"assistant\"},{\"role\":\"user\",\"content\":null}],\"model\":null}", 13,
       -1, false, false, false},
      {ENG_API_COMPLETIONS, "{\"prompt\":\"Say this is a test\"}", 5, 16, false, false, false},
      {ENG_API_COMPLETIONS, "{\"prompt\":[1,2,3,4],\"max_tokens\":null}", 4, -1, false, false, false},
      {ENG_API_COMPLETIONS, "{\"prompt\":[[5,6]],\"max_tokens\":3,\"stream\":true}", 2, 3, true, false,
       false},
      {ENG_API_COMPLETIONS, "{\"prompt\":[\"one two\"],\"max_tokens\":2.0}", 2, 2, false, false, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    eng_request r;
    eng_api_error e = {0};
    int rc = eng_request_parse(cases[i].api, cases[i].body, strlen(cases[i].body), &r, &e);
    cr_assert_eq(rc, 0, "case %zu: %s", i, e.message);
    cr_assert_eq(r.prompt_tokens, cases[i].prompt, "case %zu: prompt %d", i, r.prompt_tokens);
    cr_assert_eq(r.max_tokens, cases[i].max_tokens, "case %zu: max_tokens %d", i, r.max_tokens);
    cr_assert_eq(r.stream, cases[i].stream, "case %zu", i);
    cr_assert_eq(r.include_usage, cases[i].usage, "case %zu", i);
    cr_assert_eq(r.has_model, cases[i].has_model, "case %zu", i);
  }
}

Test(engine_request, invalid_requests_get_openai_errors) {
  struct {
    eng_api api;
    const char *body;
    const char *msg;
  } cases[] = {
      {ENG_API_CHAT, "{\"messages\": [", "JSON decode error"},
      {ENG_API_CHAT, "", "JSON decode error"},
      {ENG_API_CHAT, "[1,2]", "valid dictionary"},
      {ENG_API_CHAT, "{}", "messages: Field required"},
      {ENG_API_CHAT, "{\"messages\":\"hi\"}", "valid list"},
      {ENG_API_CHAT, "{\"messages\":[]}", "at least 1 item"},
      {ENG_API_CHAT, "{\"messages\":[42]}", "messages.0"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", "messages.0.role"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\"}]}", "messages.0.content: Field required"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
       "image_url"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}",
       "max_tokens must be at least 1, got 0."},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"ten\"}",
       "valid integer"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1e30}",
       "valid integer"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}",
       "valid boolean"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{}}",
       "Stream options can only be defined when `stream=True`."},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}", "only n=1"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":-1}",
       "temperature must be non-negative"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":0}",
       "top_p must be in"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":3}",
       "model: Input should"},
      {ENG_API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1]}", "stop.0"},
      {ENG_API_COMPLETIONS, "{}", "Either prompt or prompt_embeds"},
      {ENG_API_COMPLETIONS, "{\"prompt\":\"\"}", "Either prompt or prompt_embeds"},
      {ENG_API_COMPLETIONS, "{\"prompt\":[\"a\",\"b\"]}", "batched prompts"},
      {ENG_API_COMPLETIONS, "{\"prompt\":[1,-2]}", "token ids"},
      {ENG_API_COMPLETIONS, "{\"prompt\":{\"x\":1}}", "prompt: Input should"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    eng_request r;
    eng_api_error e = {0};
    int rc = eng_request_parse(cases[i].api, cases[i].body, strlen(cases[i].body), &r, &e);
    cr_assert_eq(rc, -1, "case %zu accepted", i);
    cr_assert_eq(e.status, 400, "case %zu", i);
    cr_assert_str_eq(e.type, "BadRequestError");
    cr_assert(strstr(e.message, cases[i].msg), "case %zu: %s", i, e.message);
  }
}

Test(engine_request, tokenizer_approximation) {
  struct {
    const char *text;
    int tokens;
  } cases[] = {
      {"", 0},
      {"Test it", 2},
      {"Hello, world!", 4},
      {"The quick brown fox jumps over the lazy dog.", 10},
      {"internationalization", 4}, /* 20 letters: one token per 6 */
      {"1234567", 3},              /* digits in threes */
      {"a\n\nb", 3},
      {"a    b", 3}, /* a run of spaces is one token */
      {"héllo", 3},  /* h, é, llo */
      {"你好世界", 4},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(eng_count_tokens(cases[i].text, strlen(cases[i].text)), cases[i].tokens, "\"%s\": %d",
                 cases[i].text, eng_count_tokens(cases[i].text, strlen(cases[i].text)));
  /* Everyday prose: 1.0-1.4 tokens per word, as BPE tokenizers give. */
  char prose[2048] = "";
  for (int i = 0; i < 20; i++) strcat(prose, "the cat sat on the mat and then it went to sleep. ");
  int t = eng_count_tokens(prose, strlen(prose));
  cr_assert(t >= 240 && t <= 336, "%d tokens for 240 words", t);
}
