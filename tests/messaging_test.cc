// theater:simple/message-server-host, every function and its error paths, between real
// actors (tests/guests/messenger.c), and the causality links between their chains.
#include "runtime/contract.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::SystemTest;

using testing::Data;

class MessagingTest : public SystemTest {
 protected:
  // The transcript of `id` once everything in flight has arrived.
  std::string Transcript(const std::string& id) {
    system_->WaitIdle(std::chrono::seconds(5));
    return Ask(id, "transcript");
  }
};

TEST_F(MessagingTest, SendDeliversAndLinksTheChains) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  EXPECT_EQ(Ask(a, "send " + b + " hi"), "ok");
  EXPECT_EQ(Transcript(b), "send:hi\n");
  // The sender's host call and the receiver's turn name each other.
  auto sent = FindEvent(a, "theater:simple/message-server-host/send");
  ASSERT_TRUE(sent);
  EXPECT_EQ(Data(*sent)["args"][0], b);
  EXPECT_EQ(Data(*sent)["result"]["ok"], nullptr);
  auto received = FindEvent(b, "wasm/call", 1);  // after init
  ASSERT_TRUE(received);
  EXPECT_EQ(Data(*received)["function"], "theater:simple/message-server-client#handle-send");
  EXPECT_EQ(Data(*received)["cause"]["actor"], a);
  EXPECT_EQ(Data(*received)["cause"]["event"], ToHex(sent->hash));
}

// Bytes cross the sandbox in bulk (engine/slots.h, the wrapper crate's typed calls): an
// 8 MiB state with every byte value and a message at the size limit arrive byte for byte
// through init, handle-send and back.
TEST_F(MessagingTest, LargeStateAndMessageCrossIntact) {
  Bytes state(8u << 20);
  for (size_t i = 0; i < state.size(); ++i) state[i] = static_cast<uint8_t>(i * 31 + i / 256);
  std::string id = Spawn(testing::Guest("messenger.wasm"), state);
  std::string message(1u << 20, 'm');
  message.back() = '!';
  ASSERT_TRUE(system_->Send(id, ToBytes(message)).ok());
  system_->WaitIdle(std::chrono::seconds(30));
  auto info = system_->Info(id);
  ASSERT_TRUE(info.ok()) << info.error();
  ASSERT_TRUE(info->state.has_value());
  Bytes expected = state;
  std::string line = "send:" + message.substr(0, 511 - 5) + "\n";  // messenger keeps 511 bytes of a line
  expected.insert(expected.end(), line.begin(), line.end());
  ASSERT_EQ(info->state->size(), expected.size());
  EXPECT_TRUE(*info->state == expected);
  EXPECT_EQ(info->status, ActorStatus::kRunning);
}

TEST_F(MessagingTest, SendToAnUnknownActorIsAnError) {
  std::string a = SpawnMessenger();
  std::string answer = Ask(a, "send 00000000-0000-4000-8000-000000000000 hi");
  EXPECT_EQ(answer, "err: no actor with id 00000000-0000-4000-8000-000000000000");
  auto sent = FindEvent(a, "theater:simple/message-server-host/send");
  ASSERT_TRUE(sent);
  EXPECT_NE(Data(*sent)["result"]["err"].get<std::string>().find("no actor"), std::string::npos);
}

TEST_F(MessagingTest, SendToAnActorThatTakesNoMessages) {
  std::string a = SpawnMessenger();
  std::string silent = Spawn("hello.wat", std::nullopt, {"runtime"});
  std::string answer = Ask(a, "send " + silent + " hi");
  EXPECT_NE(answer.find("does not take messages"), std::string::npos) << answer;
}

TEST_F(MessagingTest, RequestGetsTheResponseAcrossChains) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  EXPECT_EQ(Ask(a, "request " + b + " echo hello world"), "ok: hello world");
  auto asked = FindEvent(a, "theater:simple/message-server-host/request");
  auto done = FindEvent(a, "theater:simple/message-server-host/request/done");
  ASSERT_TRUE(asked && done);
  auto handled = FindEvent(b, "wasm/call", 1);
  auto answered = FindEvent(b, "wasm/result", 1);
  ASSERT_TRUE(handled && answered);
  EXPECT_EQ(Data(*handled)["cause"]["event"], ToHex(asked->hash));
  EXPECT_EQ(Data(*handled)["params"][0], Data(*asked)["request_id"]);
  EXPECT_EQ(Data(*done)["cause"]["actor"], b);
  EXPECT_EQ(Data(*done)["cause"]["event"], ToHex(answered->hash));
  EXPECT_EQ(Data(*done)["result"]["ok"].get_binary(), ToBytes("hello world"));
  // The response is recorded before the requester's turn goes on.
  auto events = Events(a);
  auto at = std::find_if(events.begin(), events.end(), [&](const ChainEvent& e) { return e.hash == done->hash; });
  ASSERT_NE(at, events.end());
  EXPECT_EQ((at + 1)->type, "wasm/result");
}

TEST_F(MessagingTest, RequestToAnUnknownActorIsAnError) {
  std::string a = SpawnMessenger();
  EXPECT_EQ(Ask(a, "request 00000000-0000-4000-8000-000000000000 echo x"),
            "err: no actor with id 00000000-0000-4000-8000-000000000000");
}

TEST_F(MessagingTest, ParkedRequestAnsweredLaterWithRespondToRequest) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  auto pending = system_->Request(a, ToBytes("request " + b + " park"));
  system_->WaitIdle(std::chrono::seconds(5));
  std::string outstanding = Ask(b, "outstanding");
  ASSERT_EQ(outstanding.size(), 36u) << outstanding;  // one request id
  EXPECT_EQ(Ask(b, "respond " + outstanding + " later answer"), "ok");
  RequestResult r = pending.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(ToString(r.response), "ok: later answer");
  EXPECT_EQ(Ask(b, "outstanding"), "");
  // Answering twice is an error.
  EXPECT_EQ(Ask(b, "respond " + outstanding + " again"), "err: no outstanding request " + outstanding + " for this actor");
  auto responded = FindEvent(b, "theater:simple/message-server-host/respond-to-request");
  auto done = FindEvent(a, "theater:simple/message-server-host/request/done");
  ASSERT_TRUE(responded && done);
  EXPECT_EQ(Data(*done)["cause"]["event"], ToHex(responded->hash));
}

TEST_F(MessagingTest, CancelledRequestGivesTheRequesterAnError) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  auto pending = system_->Request(a, ToBytes("request " + b + " park"));
  system_->WaitIdle(std::chrono::seconds(5));
  std::string id = Ask(b, "outstanding");
  EXPECT_EQ(Ask(b, "cancel " + id), "ok");
  EXPECT_EQ(ToString(pending.get().response), "err: request cancelled by " + b);
  EXPECT_EQ(Ask(b, "cancel " + id), "err: no outstanding request " + id + " for this actor");
}

TEST_F(MessagingTest, OnlyTheReceiverMayAnswerOrCancel) {
  std::string a = SpawnMessenger(), b = SpawnMessenger(), c = SpawnMessenger();
  auto pending = system_->Request(a, ToBytes("request " + b + " park"));
  system_->WaitIdle(std::chrono::seconds(5));
  std::string id = Ask(b, "outstanding");
  EXPECT_EQ(Ask(c, "respond " + id + " sneaky"), "err: no outstanding request " + id + " for this actor");
  EXPECT_EQ(Ask(c, "cancel " + id), "err: no outstanding request " + id + " for this actor");
  Ask(b, "respond " + id + " fine");
  EXPECT_EQ(ToString(pending.get().response), "ok: fine");
}

TEST_F(MessagingTest, ActorStoppedWhileARequestToItIsOutstanding) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  auto pending = system_->Request(a, ToBytes("request " + b + " park"));
  system_->WaitIdle(std::chrono::seconds(5));
  system_->Stop(b);
  EXPECT_EQ(ToString(pending.get().response), "err: actor " + b + " stopped before responding");
}

TEST_F(MessagingTest, ActorFailingWhileHandlingARequest) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  std::string answer = Ask(a, "request " + b + " fail");
  EXPECT_EQ(answer.rfind("err: actor " + b + " failed: guest-error", 0), 0u) << answer;
}

TEST_F(MessagingTest, RequestCycleEndsWithAnErrorNotAHang) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  // a asks b, and b (while a waits) asks a.
  std::string answer = Ask(a, "request " + b + " request " + a + " echo x", std::chrono::seconds(3));
  EXPECT_EQ(answer, "ok: err: request cycle: " + b + " -> " + a + " -> " + b);
}

TEST_F(MessagingTest, LongerRequestCycle) {
  std::string a = SpawnMessenger(), b = SpawnMessenger(), c = SpawnMessenger();
  std::string answer =
      Ask(a, "request " + b + " request " + c + " request " + a + " echo x", std::chrono::seconds(3));
  EXPECT_EQ(answer, "ok: ok: err: request cycle: " + c + " -> " + a + " -> " + b + " -> " + c);
}

TEST_F(MessagingTest, RequestToItselfIsACycle) {
  std::string a = SpawnMessenger();
  EXPECT_EQ(Ask(a, "request " + a + " echo x"), "err: request cycle: " + a + " -> " + a);
}

TEST_F(MessagingTest, ChannelOpenedUsedAndClosed) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  std::string opened = Ask(a, "open " + b + " hello");
  ASSERT_EQ(opened.rfind("ok: ", 0), 0u) << opened;
  std::string channel = opened.substr(4);
  EXPECT_EQ(Ask(a, "chan-send " + channel + " from-a"), "ok");
  EXPECT_EQ(Ask(b, "chan-send " + channel + " from-b"), "ok");
  EXPECT_EQ(Ask(a, "close " + channel), "ok");
  EXPECT_EQ(Transcript(b), "open:" + channel + ":hello\nchan:" + channel + ":from-a\nclose:" + channel + "\n");
  EXPECT_EQ(Transcript(a), "chan:" + channel + ":from-b\nclose:" + channel + "\n");
  EXPECT_EQ(Ask(a, "chan-send " + channel + " late"), "err: no open channel " + channel);
  EXPECT_EQ(system_->channels().size(), 0u);
}

TEST_F(MessagingTest, ChannelWelcomeMessageReachesTheOpener) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  std::string channel = Ask(a, "open " + b + " welcome").substr(4);
  EXPECT_EQ(Transcript(a), "chan:" + channel + ":hello from the other side\n");
}

TEST_F(MessagingTest, ChannelRejected) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  EXPECT_EQ(Ask(a, "open " + b + " reject"), "err: channel rejected by " + b);
  EXPECT_EQ(system_->channels().size(), 0u);
}

TEST_F(MessagingTest, ChannelOfOthersCannotBeUsed) {
  std::string a = SpawnMessenger(), b = SpawnMessenger(), c = SpawnMessenger();
  std::string channel = Ask(a, "open " + b + " hi").substr(4);
  EXPECT_EQ(Ask(c, "chan-send " + channel + " intrude"), "err: this actor is not a participant of channel " + channel);
  EXPECT_EQ(Ask(c, "close " + channel), "err: no open channel " + channel + " of this actor");
  EXPECT_EQ(Ask(a, "chan-send nope x"), "err: no open channel nope");
}

TEST_F(MessagingTest, StoppedActorLeavesItsChannels) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  std::string channel = Ask(a, "open " + b + " hi").substr(4);
  system_->Stop(a);
  ASSERT_TRUE(WaitStopped(a));
  EXPECT_EQ(Transcript(b), "open:" + channel + ":hi\nclose:" + channel + "\n");
  EXPECT_EQ(Ask(b, "chan-send " + channel + " anyone?"), "err: no open channel " + channel);
}

class SmallLimitsTest : public MessagingTest {
 protected:
  void Configure(SystemOptions& options) override {
    options.mailbox_capacity = 2;
    options.max_message_bytes = 64;
    options.request_timeout = std::chrono::milliseconds(300);
  }
};

TEST_F(SmallLimitsTest, OversizedMessageIsRefused) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  EXPECT_EQ(Ask(a, "big " + b + " 64"), "ok");
  EXPECT_EQ(Ask(a, "big " + b + " 65"), "err: message of 65 bytes is larger than the limit of 64 bytes");
  Status s = system_->Send(b, Bytes(1000, 'x'));
  EXPECT_NE(s.message().find("larger than the limit"), std::string::npos);
}

TEST_F(SmallLimitsTest, FullMailboxRefusesTheSender) {
  std::string a = SpawnMessenger(), b = SpawnMessenger(), c = SpawnMessenger();
  // b waits on c (which parks), so its mailbox fills up.
  auto waiting = system_->Request(b, ToBytes("request " + c + " park"), std::chrono::seconds(5));
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_EQ(Ask(a, "send " + b + " one"), "ok");
  EXPECT_EQ(Ask(a, "send " + b + " two"), "ok");
  EXPECT_EQ(Ask(a, "send " + b + " three"), "err: mailbox of actor " + b + " is full (2 messages)");
  EXPECT_NE(system_->Send(b, ToBytes("four")).message().find("is full"), std::string::npos);
  // When b's wait ends (timeout), it takes its messages in order.
  EXPECT_NE(ToString(waiting.get().response).find("timed out"), std::string::npos);
  EXPECT_EQ(Transcript(b), "send:one\nsend:two\n");
}

TEST_F(SmallLimitsTest, RequestTimesOut) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Ask(a, "request " + b + " park", std::chrono::seconds(5)), "err: request to " + b + " timed out after 300 ms");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(290));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  // The timed-out request is no longer outstanding.
  EXPECT_EQ(Ask(b, "outstanding"), "");
}

TEST_F(SmallLimitsTest, OutsideRequestTimesOut) {
  std::string b = SpawnMessenger();
  EXPECT_EQ(Ask(b, "park"), "ERROR: request to " + b + " timed out after 300 ms");
}

TEST_F(MessagingTest, AWaitingActorHoldsNoThread) {
  // Two workers; three actors wait at once; a fourth still gets its turns.
  std::string parker = SpawnMessenger(), free = SpawnMessenger();
  std::vector<std::future<RequestResult>> waiting;
  for (int i = 0; i < 3; ++i) {
    std::string w = SpawnMessenger();
    waiting.push_back(system_->Request(w, ToBytes("request " + parker + " park")));
  }
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_EQ(Ask(free, "echo still here"), "still here");
  std::string ids = Ask(parker, "outstanding");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), ','), 2);
  size_t start = 0;
  while (start < ids.size()) {
    size_t comma = ids.find(',', start);
    std::string id = ids.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    EXPECT_EQ(Ask(parker, "respond " + id + " done"), "ok");
    start = comma == std::string::npos ? ids.size() : comma + 1;
  }
  for (auto& w : waiting) EXPECT_EQ(ToString(w.get().response), "ok: done");
}

// ActorSystem::CallExport: how host interfaces (HTTP, processes) call handler exports.
std::future<Result<ValueList>> CallHandleRequest(ActorSystem& system, const std::string& id, const std::string& text) {
  auto promise = std::make_shared<std::promise<Result<ValueList>>>();
  auto future = promise->get_future();
  auto call = std::make_shared<ExportCall>();
  call->interface = std::string(contract::kMessageClient);
  call->function = "handle-request";
  call->signature = std::string(contract::kHandleRequest);
  call->params = {Value::String("export-call"), Value::BytesValue(ToBytes(text))};
  call->done = [promise](Result<ValueList> r) { promise->set_value(std::move(r)); };
  Status s = system.CallExport(id, call);
  if (!s.ok()) promise->set_value(s);
  return future;
}

TEST_F(MessagingTest, ExportCallGetsTheExportsResultsAndIsRecorded) {
  std::string a = SpawnMessenger();
  auto r = CallHandleRequest(*system_, a, "echo from a host interface").get();
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 1u);
  ASSERT_TRUE((*r)[0].has_payload());
  EXPECT_EQ(ToString((*r)[0].payload().as_bytes()), "from a host interface");
  auto call = FindEvent(a, "wasm/call", 1);
  ASSERT_TRUE(call);
  EXPECT_EQ(Data(*call)["function"], "theater:simple/message-server-client#handle-request");
  EXPECT_EQ(Data(*call)["params"][0], "export-call");
}

TEST_F(MessagingTest, ExportCallHearsWhyWhenTheActorFails) {
  std::string a = SpawnMessenger();
  auto r = CallHandleRequest(*system_, a, "trap").get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("failed"), std::string::npos) << r.error();
  // Calls to an actor that is gone, or that does not export the interface, are refused.
  EXPECT_FALSE(CallHandleRequest(*system_, a, "echo x").get().ok());
  std::string silent = Spawn("hello.wat", std::nullopt, {"runtime"});
  auto refused = CallHandleRequest(*system_, silent, "echo x").get();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("does not export"), std::string::npos) << refused.error();
}

}  // namespace
}  // namespace theater
