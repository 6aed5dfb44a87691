// What the test forge holds: `common/tone@1.0.0` (prompt `sign`) and `support/emails@1.0.0`
// depending on it, on channel `production`; and `support/fixture@1.0.0`, the constructs prompts
// use most, each with the variables it is rendered with in the local/forge agreement test.

export interface FixturePrompt {
  slug?: string;
  name: string;
  template: string;
  parameters?: { name: string; type: string; required?: boolean; default?: unknown; description?: string }[];
}

export const EMAILS: FixturePrompt[] = [
  {
    name: "Welcome",
    template: "Hello {{ customer_name | capitalize }}!\n{% render 'footer', team: team %}",
    parameters: [
      { name: "customer_name", type: "string", required: true },
      { name: "team", type: "string" },
    ],
  },
  {
    name: "Footer",
    template: "-- {{ team | default: 'Support' }} {% render 'common/tone/sign' %}",
    parameters: [{ name: "team", type: "string" }],
  },
];

/** A prompt of the agreement fixture and the variables of each case it is rendered with. */
export interface AgreementPrompt extends FixturePrompt {
  slug: string;
  cases: Record<string, unknown>[];
}

const items = ["banana", "Apple", "cherry", "apple"];
const people = [
  { name: "Ada", team: "eng", age: 36, active: true },
  { name: "Grace", team: "ops", age: 45, active: false },
  { name: "Linus", team: "eng", age: 28, active: true },
];

export const AGREEMENT: AgreementPrompt[] = [
  {
    slug: "variables",
    name: "Variables",
    template: "Hi {{ name }}, you are {{ age }} ({{ vip }}). Plan: {{ plan }}. Nick: {{ nick | default: name }}.",
    parameters: [
      { name: "name", type: "string", required: true },
      { name: "age", type: "integer", default: 30 },
      { name: "vip", type: "boolean", default: false },
      { name: "plan", type: "string" },
      { name: "nick", type: "string" },
    ],
    // The last two are refused on both sides: a required variable missing, one of the wrong type.
    cases: [{ name: "Ada", age: 36, vip: true, plan: "pro" }, { name: "Bob" }, { name: "Cy", nick: "C", extra: 1 }, {}, { name: "Di", age: "old" }],
  },
  {
    slug: "conditions",
    name: "Conditions",
    template:
      "{% if score >= 90 %}A{% elsif score >= 75 %}B{% else %}C{% endif %}|" +
      "{% unless vip %}regular{% else %}vip{% endunless %}|" +
      "{% if name == 'Ada' and vip %}hello Ada{% endif %}{% if name contains 'r' or score < 10 %} r-or-low{% endif %}|" +
      "{% if tags contains 'urgent' %}URGENT{% endif %}|{% if note %}note: {{ note }}{% else %}no note{% endif %}|" +
      "{% case tier %}{% when 'gold' %}Gold{% when 'silver', 'bronze' %}Metal{% else %}Basic{% endcase %}",
    parameters: [
      { name: "score", type: "number", default: 0 },
      { name: "vip", type: "boolean", default: false },
      { name: "name", type: "string", default: "" },
      { name: "tags", type: "array", default: [] },
      { name: "note", type: "string" },
      { name: "tier", type: "string" },
    ],
    cases: [
      { score: 95, vip: true, name: "Ada", tags: ["urgent", "billing"], note: "call back", tier: "gold" },
      { score: 80, name: "Grace", tier: "bronze" },
      { score: 5, tier: "lead", note: "" },
    ],
  },
  {
    slug: "loops",
    name: "Loops",
    template:
      "{% for i in items %}{{ forloop.index }}/{{ forloop.length }}:{{ i }}{% if forloop.first %}(first){% endif %}{% if forloop.last %}(last){% endif %}{% unless forloop.last %}, {% endunless %}{% endfor %}\n" +
      "{% for i in items limit: 2 offset: 1 %}[{{ forloop.index0 }}{{ i }}{{ forloop.rindex }}]{% endfor %}\n" +
      "{% for i in items reversed %}{{ i }} {% else %}empty{% endfor %}\n" +
      "{% for n in (1..count) %}{% if n == 3 %}{% continue %}{% endif %}{% if n > 4 %}{% break %}{% endif %}{{ n }}{% endfor %}\n" +
      "{% for p in people %}{{ p.name }}{% for t in p.tags %}<{{ forloop.parentloop.index }}.{{ forloop.index }}>{% endfor %};{% endfor %}\n" +
      "{% for i in items %}{% cycle 'odd', 'even' %} {% endfor %}",
    parameters: [
      { name: "items", type: "array", default: [] },
      { name: "count", type: "integer", default: 6 },
      { name: "people", type: "array", default: [] },
    ],
    cases: [
      { items, people: [{ name: "A", tags: ["x", "y"] }, { name: "B", tags: [] }] },
      { items: [], count: 2 },
    ],
  },
  {
    slug: "strings",
    name: "String filters",
    template:
      "{{ text | upcase }}|{{ text | downcase }}|{{ text | capitalize }}|[{{ padded | strip }}][{{ padded | lstrip }}][{{ padded | rstrip }}]|" +
      "{{ text | truncate: 10 }}|{{ text | truncate: 10, '…' }}|{{ text | truncatewords: 2 }}|{{ text | replace: 'o', '0' }}|" +
      "{{ text | replace_first: 'o', '0' }}|{{ text | remove: 'l' }}|{{ text | append: '!' | prepend: '> ' }}|{{ text | size }}|" +
      "{{ text | slice: 0, 5 }}|{{ text | split: ' ' | first }}|{{ text | split: ' ' | last }}|{{ html | escape }}|{{ html | strip_html }}|" +
      "{{ 'a b' | url_encode }}|{{ multiline | newline_to_br }}|{{ multiline | strip_newlines }}|{{ text | escape_once }}",
    parameters: [
      { name: "text", type: "string", default: "hello world of liquid" },
      { name: "padded", type: "string", default: "  pad me  " },
      { name: "html", type: "string", default: "<b>Tom & \"Jerry\"</b>" },
      { name: "multiline", type: "string", default: "one\ntwo" },
    ],
    cases: [{}, { text: "ALL CAPS HERE", padded: "\tx " }, { text: "short" }],
  },
  {
    slug: "arrays",
    name: "Array filters",
    template:
      "{{ items | join: ', ' }}|{{ items | first }}|{{ items | last }}|{{ items | size }}|{{ items | sort | join: ',' }}|" +
      "{{ items | sort_natural | join: ',' }}|{{ items | reverse | join: ',' }}|{{ items | uniq | join: ',' }}|" +
      "{{ people | map: 'name' | join: '+' }}|{{ people | where: 'team', 'eng' | map: 'name' | join: ',' }}|" +
      "{{ people | where: 'active' | size }}|{{ people | sort: 'age' | map: 'name' | join: '<' }}|" +
      "{{ items | concat: extra | join: ',' }}|{{ sparse | compact | join: ',' }}|{{ people | map: 'age' | sum }}|" +
      "{{ 'a,b,,c' | split: ',' | size }}|{{ items.first }}-{{ items.last }}-{{ items.size }}|{{ items[1] }}",
    parameters: [
      { name: "items", type: "array", default: items },
      { name: "people", type: "array", default: people },
      { name: "extra", type: "array", default: ["kiwi"] },
      { name: "sparse", type: "array", default: ["a", null, "b"] },
    ],
    cases: [{}, { items: ["z", "y", "z"], people: [people[1]] }],
  },
  {
    slug: "numbers",
    name: "Numbers",
    template:
      "{{ price | times: qty }}|{{ price | plus: 1 }}|{{ qty | minus: 5 }}|{{ qty | modulo: 4 }}|{{ qty | divided_by: 4 }}|" +
      "{{ price | round }}|{{ price | round: 1 }}|{{ price | ceil }}|{{ price | floor }}|{{ -3 | abs }}|{{ qty | at_least: 20 }}|" +
      "{{ qty | at_most: 5 }}|{{ price | times: 1.5 | round: 2 }}|{{ 10 | times: 1.2 }}|{{ 7 | divided_by: 2.0 }}|{{ ratio }}",
    parameters: [
      { name: "price", type: "number", default: 19.99 },
      { name: "qty", type: "integer", default: 10 },
      { name: "ratio", type: "number", default: 0.25 },
    ],
    cases: [{}, { price: 3.5, qty: 7, ratio: 2 }],
  },
  {
    slug: "assigns",
    name: "Assign and capture",
    template:
      "{% assign greeting = 'Hello' | append: ', ' | append: name %}{% capture shout %}{{ greeting | upcase }}!{% endcapture %}" +
      "{{ greeting }} / {{ shout }}{% assign n = items | size %} / {{ n }} {% increment counter %}{% increment counter %}",
    parameters: [
      { name: "name", type: "string", required: true },
      { name: "items", type: "array", default: [1, 2, 3] },
    ],
    cases: [{ name: "Ada" }],
  },
  {
    slug: "whitespace",
    name: "Whitespace and comments",
    template:
      "Items:\n{%- for i in items %}\n  - {{ i -}}\n{% endfor %}\n{% comment %}hidden {{ nope }}{% endcomment %}{% raw %}{{ kept }}{% endraw %}\n" +
      "{%- if true -%}   tight   {%- endif -%}\nend",
    parameters: [{ name: "items", type: "array", default: ["a", "b"] }],
    cases: [{}],
  },
  {
    slug: "partials",
    name: "Partials",
    template:
      "{% render 'badge', label: name %} {% render 'badge' for people as label %}|{% render 'common/tone/sign' %}|{% render 'badge' with name as label %}|{% render 'badge' %}",
    parameters: [
      { name: "name", type: "string", default: "Ada" },
      { name: "people", type: "array", default: ["x", "y"] },
    ],
    cases: [{}],
  },
  {
    slug: "badge",
    name: "Badge",
    template: "[{{ label | default: '?' }}]",
    parameters: [{ name: "label", type: "string" }],
    cases: [{}, { label: "solo" }],
  },
  {
    slug: "output",
    name: "Values as output",
    template: "{{ profile }}|{{ profile.name }}|{{ profile.missing }}|{{ tags }}|{{ profile | json }}|{{ tags | json }}|{{ flag }}|{{ nothing }}",
    parameters: [
      { name: "profile", type: "object", default: { name: "Ada", langs: ["en", "fr"], admin: true } },
      { name: "tags", type: "array", default: ["a", "b"] },
      { name: "flag", type: "boolean", default: true },
      { name: "nothing", type: "string" },
    ],
    cases: [{}],
  },
  {
    slug: "dates",
    name: "Dates",
    template: "{{ when | date: '%Y-%m-%d %H:%M' }}|{{ when | date: '%a %b %e, %Y' }}|{{ when | date: '%B %d %I:%M %p' }}|{{ stamp | date: '%Y-%m-%dT%H:%M:%S' }}",
    parameters: [
      { name: "when", type: "string", default: "2024-03-05T14:07:09Z" },
      { name: "stamp", type: "integer", default: 1700000000 },
    ],
    cases: [{}, { when: "2023-12-31T23:59:59Z", stamp: 0 }],
  },
  {
    slug: "unicode",
    name: "Unicode",
    template: "{{ text | size }}|{{ text | truncate: 6 }}|{{ text | upcase }}|{{ text | slice: 1, 3 }}|{{ text | reverse }}",
    parameters: [{ name: "text", type: "string", default: "héllo wörld" }],
    cases: [{}, { text: "emoji 🎉🎉 party" }],
  },
];

/** Where local rendering is known to differ from the forge (listed in the README), and how. */
export interface KnownDifference extends AgreementPrompt {
  why: string;
  /** What the forge renders (null: the forge refuses the render) and what the SDK renders locally. */
  forge: string | null;
  local: string | null;
}

export const KNOWN: KnownDifference[] = [
  {
    slug: "size-property",
    name: "Size property",
    template: "{{ text.size }}",
    parameters: [{ name: "text", type: "string", default: "🎉!" }],
    cases: [{}],
    why: "`.size` of a string counts UTF-16 units locally (the `size` filter counts characters, as the forge does)",
    forge: "2",
    local: "3",
  },
  {
    slug: "float-default",
    name: "Float default",
    template: "{{ amount }}",
    parameters: [{ name: "amount", type: "number", default: 10.0 }],
    cases: [{}],
    why: "a whole float written in a parameter default (`10.0`) is read by JavaScript as `10`",
    forge: "10.0",
    local: "10",
  },
];
