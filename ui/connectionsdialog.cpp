#include "connectionsdialog.h"

#include "kafkacluster.h"
#include "kafkasettings.h"
#include "offthread.h"
#include "problemtext.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QVBoxLayout>

namespace rivulet {

namespace {

struct TestAnswer
{
    bool reachable = false;
    QString text;
};

// Runs on a pool thread: reads the properties file and asks the cluster for its metadata,
// within timeoutMs. The text names no property's value (loadKafkaConfig and KafkaCluster
// never quote one).
TestAnswer testReach(const SavedConnection &connection, int timeoutMs)
{
    TestAnswer answer;
    KafkaSettings settings;
    if (!kafkaSettingsFor(connection, settings, answer.text))
        return answer;
    KafkaCluster cluster(settings);
    ClusterDescription description;
    if (!cluster.open(answer.text) || !cluster.describe(description, timeoutMs, answer.text))
        return answer;
    answer.reachable = true;
    const auto count = [](std::size_t n, const char *one, const char *many) {
        return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? one : many));
    };
    answer.text = QObject::tr("reachable: %1, %2")
                      .arg(count(description.brokers.size(), "broker", "brokers"),
                           count(description.topics.size(), "topic", "topics"));
    return answer;
}

} // namespace

ConnectionsDialog::ConnectionsDialog(SavedConnection local, QWidget *parent)
    : QDialog(parent), m_store(std::move(local)), m_list(new QListView(this)),
      m_name(new QLineEdit(this)), m_bootstrap(new QLineEdit(this)),
      m_configFile(new QLineEdit(this)), m_browse(new QPushButton(tr("&Browse…"), this)),
      m_new(new QPushButton(tr("&New"), this)), m_save(new QPushButton(tr("&Save"), this)),
      m_remove(new QPushButton(tr("&Remove"), this)), m_test(new QPushButton(tr("&Test"), this)),
      m_connect(new QPushButton(tr("&Connect"), this)), m_result(new QLabel(this))
{
    setWindowTitle(tr("Connections — Rivulet"));
    m_list->setObjectName(QStringLiteral("connections"));
    m_list->setModel(&m_store);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setPlaceholderText(tr("e.g. staging"));
    m_bootstrap->setObjectName(QStringLiteral("bootstrap"));
    m_bootstrap->setPlaceholderText(tr("host:9092[,host2:9092…]"));
    m_configFile->setObjectName(QStringLiteral("configFile"));
    m_configFile->setPlaceholderText(tr("none: PLAINTEXT, no authentication"));
    m_configFile->setToolTip(tr("A librdkafka properties file (security.protocol, sasl.mechanism, "
                                "sasl.username, sasl.password, ssl.ca.location, …). Only its "
                                "path is kept in Rivulet's settings; the passwords stay in it."));
    m_result->setObjectName(QStringLiteral("testResult"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_configFile, 1);
    fileRow->addWidget(m_browse);
    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("B&ootstrap servers:"), m_bootstrap);
    // a row holding a layout gets no buddy from the form: without one the label showed its
    // "&" and Alt+P went nowhere
    auto *fileLabel = new QLabel(tr("&Properties file:"), this);
    fileLabel->setBuddy(m_configFile);
    form->addRow(fileLabel, fileRow);
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_new);
    actions->addWidget(m_save);
    actions->addWidget(m_remove);
    actions->addStretch(1);
    actions->addWidget(m_test);
    auto *right = new QVBoxLayout;
    right->addLayout(form);
    right->addLayout(actions);
    right->addWidget(m_result);
    right->addStretch(1);
    auto *top = new QHBoxLayout;
    top->addWidget(m_list, 2);
    top->addLayout(right, 3);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_connect, QDialogButtonBox::AcceptRole);
    m_connect->setDefault(true);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(buttons);
    resize(720, 360);

    connect(
        m_list->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex &current) { showRow(current.isValid() ? current.row() : -1); });
    connect(m_list, &QListView::doubleClicked, this, [this] { connectToSelected(); });
    connect(m_new, &QPushButton::clicked, this, &ConnectionsDialog::startNew);
    connect(m_save, &QPushButton::clicked, this, &ConnectionsDialog::saveForm);
    connect(m_remove, &QPushButton::clicked, this, &ConnectionsDialog::removeSelected);
    connect(m_test, &QPushButton::clicked, this, &ConnectionsDialog::testConnection);
    connect(m_browse, &QPushButton::clicked, this, &ConnectionsDialog::browseConfigFile);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionsDialog::connectToSelected);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QLineEdit *edit : {m_name, m_bootstrap, m_configFile})
        connect(edit, &QLineEdit::textEdited, this, [this] { updateButtons(); });
    select(ConnectionStore::kLocalRow);
}

int ConnectionsDialog::selectedRow() const
{
    const QModelIndex current = m_list->selectionModel()->currentIndex();
    return current.isValid() ? current.row() : -1;
}

void ConnectionsDialog::select(int row)
{
    if (row < 0 || row >= m_store.count()) {
        m_list->selectionModel()->clear();
        showRow(-1);
        return;
    }
    m_list->selectionModel()->setCurrentIndex(m_store.index(row),
                                              QItemSelectionModel::ClearAndSelect);
    showRow(row); // also when it was current already
}

void ConnectionsDialog::showRow(int row)
{
    const bool fixed = row == ConnectionStore::kLocalRow;
    const SavedConnection shown = row >= 0 ? m_store.at(row) : SavedConnection{};
    m_name->setText(shown.name);
    m_bootstrap->setText(shown.bootstrap);
    m_bootstrap->setPlaceholderText(shown.inProcess ? tr("this process")
                                                    : tr("host:9092[,host2:9092…]"));
    m_configFile->setText(shown.configFile);
    for (QLineEdit *edit : {m_name, m_bootstrap, m_configFile})
        edit->setReadOnly(fixed);
    m_browse->setEnabled(!fixed);
    m_result->clear();
    updateButtons();
}

void ConnectionsDialog::updateButtons()
{
    const int row = selectedRow();
    const bool inProcess = row == ConnectionStore::kLocalRow && m_store.at(row).inProcess;
    m_save->setEnabled(row != ConnectionStore::kLocalRow);
    m_remove->setEnabled(m_store.isEditable(row));
    m_test->setEnabled(!inProcess && !testRunning());
    m_connect->setEnabled(inProcess || !m_bootstrap->text().trimmed().isEmpty());
}

SavedConnection ConnectionsDialog::formConnection() const
{
    const int row = selectedRow();
    if (row == ConnectionStore::kLocalRow)
        return m_store.at(row);
    SavedConnection c;
    c.name = m_name->text().trimmed();
    c.bootstrap = m_bootstrap->text().trimmed();
    c.configFile = m_configFile->text().trimmed();
    if (c.name.isEmpty())
        c.name = c.bootstrap; // an unsaved, unnamed connection is known by its address
    return c;
}

void ConnectionsDialog::startNew()
{
    select(-1);
    m_name->setFocus(Qt::OtherFocusReason);
}

void ConnectionsDialog::saveForm()
{
    const int row = selectedRow();
    if (row == ConnectionStore::kLocalRow)
        return;
    SavedConnection c;
    c.name = m_name->text();
    c.bootstrap = m_bootstrap->text();
    c.configFile = m_configFile->text();
    QString error;
    if (row < 0) {
        const int added = m_store.add(c, error);
        if (added < 0)
            return showResult(error, true);
        select(added);
        showResult(tr("Saved %1").arg(m_store.at(added).name), false);
    } else {
        if (!m_store.update(row, c, error))
            return showResult(error, true);
        showRow(row);
        showResult(tr("Saved %1").arg(m_store.at(row).name), false);
    }
}

void ConnectionsDialog::removeSelected()
{
    const int row = selectedRow();
    if (!m_store.isEditable(row))
        return;
    const QString name = m_store.at(row).name;
    m_store.remove(row);
    select(std::min(row, m_store.count() - 1));
    showResult(tr("Removed %1").arg(name), false);
}

void ConnectionsDialog::testConnection()
{
    const SavedConnection c = formConnection();
    if (c.inProcess)
        return;
    if (const QString problem = bootstrapProblem(c.bootstrap); !problem.isEmpty())
        return showResult(problem, true);
    const std::uint64_t sequence = ++m_testSequence;
    showResult(tr("Testing %1…").arg(c.bootstrap), false);
    updateButtons();
    const int timeoutMs = m_testTimeoutMs;
    // the global pool: a test still asking when the dialog closes finishes (bounded by its
    // timeout) without holding up the window, and its answer is dropped
    runOffGuiThread(
        *QThreadPool::globalInstance(), this, [c, timeoutMs] { return testReach(c, timeoutMs); },
        [this, sequence](TestAnswer answer) {
            if (sequence != m_testSequence)
                return;
            m_answeredSequence = sequence;
            showResult(answer.text, !answer.reachable);
            updateButtons();
            Q_EMIT testFinished(answer.reachable, answer.text);
        });
}

void ConnectionsDialog::connectToSelected()
{
    const SavedConnection c = formConnection();
    if (!c.inProcess) {
        if (const QString problem = bootstrapProblem(c.bootstrap); !problem.isEmpty())
            return showResult(problem, true);
    }
    Q_EMIT connectRequested(c);
    accept();
}

void ConnectionsDialog::browseConfigFile()
{
    const QString file = QFileDialog::getOpenFileName(
        this, tr("librdkafka properties file"), m_configFile->text(),
        tr("Properties (*.properties *.conf *.config);;All files (*)"));
    if (file.isEmpty())
        return;
    m_configFile->setText(file);
    updateButtons();
}

void ConnectionsDialog::showResult(const QString &text, bool problem)
{
    showProblemText(m_result, text, problem);
}

} // namespace rivulet
