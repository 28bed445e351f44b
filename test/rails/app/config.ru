# The legacy app of the Rails suite (npm run test:rails): one file of Rails 6.1 on Puma, run
# behind cutover the way a Heroku app is. Started by test/rails/support/rails-server.ts:
#
#   SECRET_KEY_BASE=… RAILS_PUBLIC_HOSTS=shop.example.com puma -e production -b tcp://127.0.0.1:0 config.ru
#
# Only Debian's packages (ruby-rails, puma): no Gemfile, no Bundler.
require "rails"
require "action_controller/railtie"
require "digest"
require "timeout"

class RailsSuiteApp < Rails::Application
  config.load_defaults 6.1
  config.root = __dir__
  config.secret_key_base = ENV.fetch("SECRET_KEY_BASE")
  config.eager_load = false
  config.consider_all_requests_local = false
  config.logger = Logger.new($stderr)
  config.log_level = :warn

  # Host authorization (DNS rebinding protection) checks BOTH the Host header and the last
  # X-Forwarded-Host (ActionDispatch::HostAuthorization#authorized?). Behind cutover the Host
  # is the backend's own (127.0.0.1:PORT here, my-app.herokuapp.com on Heroku) and
  # X-Forwarded-Host is the public host the client asked for, so both must be listed or every
  # proxied request is a 403.
  config.hosts = ["127.0.0.1", *ENV.fetch("RAILS_PUBLIC_HOSTS", "").split(",")]

  config.session_store :cookie_store, key: "_app_session"
  config.action_dispatch.cookies_serializer = :json

  # force_ssl for /secure only, so the rest of the suite can talk plain http to the edge.
  # Rails reads the scheme from X-Forwarded-Proto (the peer, cutover, is a trusted proxy).
  config.force_ssl = true
  config.ssl_options = { redirect: { exclude: ->(request) { !request.path.start_with?("/secure") } }, hsts: false }

  # gzip for whoever asks; binary downloads are sent as they are.
  config.middleware.use Rack::Deflater, include: %w[text/plain text/html application/json text/event-stream]

  routes.append do
    get "/up" => proc { [200, { "Content-Type" => "text/plain" }, ["up"]] }
    get "/client" => "client#show"
    get "/secure/page" => "client#show"
    get "/secure/elsewhere" => "client#elsewhere"
    get "/form" => "forms#new"
    post "/form" => "forms#create"
    get "/form/done" => "forms#done"
    get "/login/:id" => "sessions#login"
    get "/views" => "sessions#views"
    get "/views/*rest" => "sessions#views"
    get "/whoami" => "sessions#whoami"
    get "/fallback/whoami" => "sessions#whoami"
    get "/cookies" => "sessions#cookies_nine"
    get "/document" => "bodies#document"
    get "/text" => "bodies#text"
    get "/download/:mib" => "bodies#download"
    post "/upload" => "bodies#upload"
    get "/events/:id" => "events#show"
    post "/events/:id/release" => "events#release"
    get "/split/:x" => "backends#show"
    match "/status/:code" => "backends#show", via: %i[get post]
    match "/reset" => "backends#show", via: %i[get post]
    post "/orders" => "backends#show"
    get "/__requests" => "backends#count"
    get "/api/:kind/:id" => "accounts#show"
  end
end

# Controllers come after initialize!: ActionController::Base must load once the app's
# configuration (protect_from_forgery by default, among it) is in place.
RailsSuiteApp.initialize!

# The client as Rails sees it.
class ClientController < ActionController::Base
  def show
    render json: {
      remote_ip: request.remote_ip, ip: request.ip, host: request.host, port: request.port,
      ssl: request.ssl?, url: request.url, base_url: request.base_url
    }
  end

  def elsewhere
    redirect_to "/secure/page"
  end
end

# A CSRF-protected form (protect_from_forgery with: :exception, Rails' default since 5.2:
# a missing or wrong token is a 422). load_defaults 6.1 also checks Origin against
# request.base_url, which is the public origin only when X-Forwarded-Host/Proto are right.
class FormsController < ActionController::Base
  def new
    render inline: <<~ERB
      <%= form_tag("/form") do %><%= text_field_tag :note %><%= submit_tag "Send" %><% end %>
    ERB
  end

  def create
    session[:note] = params[:note]
    redirect_to "/form/done"
  end

  def done
    render plain: "noted: #{session[:note]}"
  end
end

class SessionsController < ActionController::Base
  # A GET for the tests' convenience: the session the later sticky/identity tests need.
  def login
    session[:user_id] = params[:id]
    render json: { user_id: session[:user_id] }
  end

  # Writes the session on every request: the cookie's bytes change each time.
  def views
    session[:views] = (session[:views] || 0) + 1
    render json: { views: session[:views], user_id: session[:user_id] }
  end

  # What Rails knows of the user: its own session, and any X-Cutover-Identity that reached it
  # (none should: the legacy app reads its session itself). Rack folds X-Cutover-Identity and
  # X_Cutover_Identity into one variable, HTTP_X_CUTOVER_IDENTITY; Puma 5.6.5 passes either on.
  def whoami
    render json: {
      user_id: session[:user_id],
      identity: request.headers["X-Cutover-Identity"],
      cutover_variables: request.headers.env.keys.grep(/\AHTTP_X_CUTOVER/).sort
    }
  end

  def cookies_nine
    (1..9).each { |i| cookies["c#{i}"] = { value: "v#{i}", path: "/", httponly: i.odd? } }
    render json: { set: 9 }
  end
end

class BodiesController < ActionController::Base
  skip_forgery_protection only: :upload
  DOCUMENT = "a document that changes rarely\n" * 20

  def document
    fresh_when etag: DOCUMENT, public: true
    render plain: DOCUMENT unless performed?
  end

  def text
    render plain: "compressible line of text\n" * 2000
  end

  def download
    data = Random.new(24).bytes(Integer(params[:mib]) * 1024 * 1024)
    response.headers["X-Sha256"] = Digest::SHA256.hexdigest(data)
    send_data data, type: "application/octet-stream", filename: "download.bin"
  end

  def upload
    body = request.body.read
    render json: { bytes: body.bytesize, sha256: Digest::SHA256.hexdigest(body) }
  end
end

# Server-sent events: the first event now, the second once the test says so.
class EventsController < ActionController::Base
  include ActionController::Live
  skip_forgery_protection only: :release
  GATES = Hash.new { |hash, id| hash[id] = Queue.new }
  GATES_LOCK = Mutex.new

  def self.gate(id)
    GATES_LOCK.synchronize { GATES[id] }
  end

  def show
    response.headers["Content-Type"] = "text/event-stream"
    # Without an ETag or Last-Modified, Rack 2.2's Rack::ETag (in Rails' default stack) reads
    # the whole body to digest it: every event would wait for the end of the stream.
    response.headers["Last-Modified"] = Time.now.httpdate
    response.stream.write "data: first\n\n"
    Timeout.timeout(30) { self.class.gate(params[:id]).pop }
    response.stream.write "data: second\n\n"
  rescue Timeout::Error
    response.stream.write "data: timed out\n\n"
  ensure
    response.stream.close
  end

  def release
    self.class.gate(params[:id]) << true
    head :no_content
  end
end

# What the Node backend also serves (splits, fallbacks), and a count of what reached Rails.
class BackendsController < ActionController::Base
  skip_forgery_protection
  REQUESTS = Hash.new(0)
  REQUESTS_LOCK = Mutex.new

  def show
    id = request.headers["X-Test-Id"]
    REQUESTS_LOCK.synchronize { REQUESTS["#{request.method} #{id}"] += 1 } if id
    render json: { backend: "rails", path: request.path, method: request.method }
  end

  def count
    render json: { count: REQUESTS_LOCK.synchronize { REQUESTS["#{params[:method]} #{params[:id]}"] } }
  end
end

# A JSON answer a new backend serves byte for byte alike (test/rails/support/lambda.ts), with
# Rails' default headers: what a shadow comparison of the two must call a match.
class AccountsController < ActionController::Base
  def show
    render json: { id: Integer(params[:id]), name: "Ada", plan: "pro" }
  end
end

# Puma exits when the test process that started it goes away (its stdin closes), so no
# server outlives a crashed run.
if ENV["EXIT_WITH_STDIN"] == "1"
  Thread.new do
    $stdin.read
    Process.kill("TERM", Process.pid)
  end
end

run RailsSuiteApp
