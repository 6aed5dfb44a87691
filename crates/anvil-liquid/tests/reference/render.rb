# Renders JSON lines with Shopify's Liquid (the reference engine) for the differential test
# in tests/liquid/reference.rs. In: {"template", "data"} per line. Out: {"output"} or
# {"error"} per line. Parsing is strict (as Anvil's is); rendering raises instead of writing
# "Liquid error" into the output, so an error is a verdict of its own.
require "json"
require "liquid"

$stdout.sync = false
STDIN.each_line do |line|
  input = JSON.parse(line)
  result =
    begin
      template = Liquid::Template.parse(input["template"], error_mode: :strict)
      { "output" => template.render!(input["data"] || {}, strict_filters: true) }
    rescue StandardError, SystemStackError => e
      { "error" => "#{e.class}: #{e.message}" }
    end
  puts JSON.generate(result)
end
$stdout.flush
